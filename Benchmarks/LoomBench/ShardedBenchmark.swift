import Foundation
import LoomCore

/// `make bench`'s sharded section: the first stages (ingest, images, text) of a catalog of
/// `items` products with photos, once whole with 2 threads and once as 2 shards × 1 thread
/// (`loom run --shards 2 --executor local`), with each merge's own cost against its stage's.
enum ShardedBenchmark {
    static func run(scratch: String, loom: String, items: Int) throws {
        let data = (scratch as NSString).appendingPathComponent("sharded-data")
        let generated = try runChild([loom, "sample-data", "--items", "\(items)", "--out", data])
        guard generated.status == 0 else { throw NightlyBenchmark.BenchError.failed("sample-data", generated.output) }
        let stages = ["ingest", "images", "text"]

        func pipeline(_ name: String) throws -> (path: String, work: String) {
            let work = (scratch as NSString).appendingPathComponent("\(name)-work")
            let path = (scratch as NSString).appendingPathComponent("\(name).yaml")
            try """
                work: \(work)
                out: \((scratch as NSString).appendingPathComponent("\(name)-out"))
                stages:
                  ingest: {catalog: [\(data)/catalog/meta.jsonl], images: [\(data)/images]}
                  images: {}
                  text: {}
                """.write(toFile: path, atomically: true, encoding: .utf8)
            return (path, work)
        }
        func report(_ work: String, _ stage: String) throws -> StageReport {
            let path = (work as NSString).appendingPathComponent("reports/\(stage).json")
            return try JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        }

        let whole = try pipeline("whole")
        let wholeRun = try runChild([loom, "run", whole.path, "--threads", "2", "--no-progress", "--log-level", "error"])
        guard wholeRun.status == 0 else { throw NightlyBenchmark.BenchError.failed("whole run", wholeRun.output) }
        let sharded = try pipeline("sharded")
        let shardedRun = try runChild([loom, "run", sharded.path, "--threads", "2", "--shards", "2", "--executor", "local",
                                       "--no-progress", "--log-level", "error"])
        guard shardedRun.status == 0 else { throw NightlyBenchmark.BenchError.failed("sharded run", shardedRun.output) }

        print("sharded, \(items) products: ingest, images, text      whole, 2 threads     2 shards × 1 thread (local executor) + merges")
        row("  wall time", String(format: "%.1f s", wholeRun.seconds), String(format: "%.1f s (%.2f× the whole run)", shardedRun.seconds, wholeRun.seconds / shardedRun.seconds))
        for stage in stages {
            let stageSeconds = try report(whole.work, stage).seconds
            let merge = try report(sharded.work, stage)
            let same = try StageMeta.read(path: merge.output).contentHash == StageMeta.read(path: try report(whole.work, stage).output).contentHash
            row("  \(stage): merge of 2 shards", String(format: "%.2f s", merge.seconds),
                String(format: "%.1f%% of the whole stage's %.1f s (goal < 5%%); content hash %@", 100 * merge.seconds / stageSeconds,
                       stageSeconds, same ? "equal" : "DIFFERENT"))
        }
    }
}
