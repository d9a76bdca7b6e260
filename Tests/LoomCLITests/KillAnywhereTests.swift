import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// `kill -9` at 20 moments across `loom run` of a one-epoch copy of Pipelines/sample.yaml, at
/// least twice inside every stage (while its temporary output exists, after a seeded random
/// delay), each time followed by another run: the last run ends with every output's content
/// hash and the model's bytes equal to a clean run's, and nothing temporary left.
@Suite struct KillAnywhereTests {
    static let outputs = ["work/catalog", "work/images", "work/text", "work/triplets", "work/features", "work/train",
                          "work/embeddings", "out/index"]
    /// Kills per stage (20 in all); the stages with the most work get three.
    static let kills: [(stage: String, output: String, count: Int)] = [
        ("ingest", "work/catalog", 2), ("images", "work/images", 3), ("text", "work/text", 2), ("triplets", "work/triplets", 2),
        ("features", "work/features", 3), ("train", "work/train", 3), ("embed", "work/embeddings", 3), ("index", "out/index", 2),
    ]

    @Test func killedAtTwentyMomentsTheRerunEndsAsACleanRun() throws {
        let runs = try ShardedRunTests.Runs()
        let clean = try runs.run("clean", pipeline: "whole.yaml")
        try #require(clean.status == 0, "\(clean.stderr)")
        func hashes(_ name: String) throws -> [String: String] {
            var hashes: [String: String] = [:]
            for output in Self.outputs { hashes[output] = try StageMeta.read(path: runs.directory.file("\(name)/\(output).sqlite")).contentHash }
            return hashes
        }
        let expected = try hashes("clean")
        let model = runs.models + "/loomnet-sample/model.safetensors"
        let expectedModel = try Data(contentsOf: URL(fileURLWithPath: model))
        try FileManager.default.removeItem(atPath: runs.models)

        var random = SeededRandom(seed: 20_261_205)
        var landed: [String] = []
        for (stage, output, count) in Self.kills {
            var killed = 0, attempts = 0
            while killed < count, attempts < 12 {
                attempts += 1
                let run = ProbeProcess("loom", arguments: ["run", runs.directory.file("whole.yaml"), "--no-progress"],
                                       environment: ["LOOM_WORK": runs.directory.file("k/work"), "LOOM_OUT": runs.directory.file("k/out"),
                                                     "LOOM_MODELS": runs.models],
                                       directory: CommandLineTests.root)
                try run.start()
                let temporary = runs.directory.file("k/\(output).sqlite.tmp-\(run.process.processIdentifier)")
                while run.process.isRunning, !FileManager.default.fileExists(atPath: temporary) { usleep(2_000) }
                guard run.process.isRunning else { continue }   // the stage finished between two looks
                usleep(UInt32(random.unit() * 40_000))
                Foundation.kill(run.process.processIdentifier, SIGKILL)
                run.process.waitUntilExit()
                // Inside the stage only if its temporary output outlived the process; a stage
                // that committed first is made to run again.
                if run.process.terminationReason == .uncaughtSignal, FileManager.default.fileExists(atPath: temporary) {
                    killed += 1
                    landed.append(stage)
                } else {
                    _ = unlink(runs.directory.file("k/\(output).sqlite"))
                }
            }
            #expect(killed == count, "\(stage): \(killed) of \(count) kills landed inside the stage")
        }
        #expect(landed.count == 20)

        let last = try runs.run("k", pipeline: "whole.yaml")
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try hashes("k") == expected)
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == expectedModel, "the model's bytes")
        let left = ((FileManager.default.subpaths(atPath: runs.directory.file("k")) ?? []) + (FileManager.default.subpaths(atPath: runs.models) ?? []))
            .filter { $0.contains(".tmp-") || $0.contains(".old-") }
        #expect(left.isEmpty, "temporary files left: \(left)")
    }
}
