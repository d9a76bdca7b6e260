import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// SIGTERM to `loom run --shards 2 --executor local` while its shard processes work: it stops
/// them, nothing temporary is left, and it exits 75.
@Suite struct InterruptedRunTests {
    @Test func sigtermStopsTheShardProcessesAndExits75() throws {
        let runs = try ShardedRunTests.Runs()
        let ingest = try runs.run("s", pipeline: "whole.yaml", ["--only", "ingest"])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let work = runs.directory.file("s/work")
        let run = ProbeProcess("loom", arguments: ["run", runs.directory.file("whole.yaml"), "--from", "images", "--shards", "2",
                                                   "--executor", "local", "--no-progress"],
                               environment: ["LOOM_WORK": work, "LOOM_OUT": runs.directory.file("s/out"), "LOOM_MODELS": runs.models],
                               directory: CommandLineTests.root)
        try run.start()
        // Until a shard process is writing its output.
        let deadline = Date().addingTimeInterval(120)
        func writing() -> Bool {
            (try? FileManager.default.contentsOfDirectory(atPath: work))?.contains { $0.contains(".shard-") && $0.contains(".tmp-") } ?? false
        }
        while !writing(), run.process.isRunning, Date() < deadline { usleep(20_000) }
        try #require(writing(), "no shard process started writing")
        kill(run.process.processIdentifier, SIGTERM)
        run.process.waitUntilExit()
        #expect(run.process.terminationReason == .exit && run.process.terminationStatus == 75, "exit \(run.process.terminationStatus)")
        #expect(run.remainingStderr().contains("interrupted by SIGTERM"))

        let pipeline = runs.directory.file("whole.yaml")
        let survivors = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { entry in
            guard Int32(entry) != nil, let command = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(entry)/cmdline")) else { return false }
            return String(decoding: command, as: UTF8.self).contains(pipeline)
        }
        #expect(survivors.isEmpty, "shard processes left running: \(survivors)")
        let left = try FileManager.default.contentsOfDirectory(atPath: work).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }
}
