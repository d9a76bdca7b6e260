import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// `loom run --shards n` and `loom merge` on SampleData: shards of every shardable stage merge
/// into the whole run's outputs (content hash and meta), a rerun reuses rows per shard, and a
/// merge refuses a set that is incomplete, doubled or made otherwise.
@Suite struct ShardedRunTests {
    static let root = CommandLineTests.root

    /// Pipelines/sample.yaml training one epoch (`whole.yaml`), and the same without train
    /// (`sharded.yaml`): embed reads the model the whole run trained.
    struct Runs {
        let directory = TemporaryDirectory("loom-shards")
        var models: String { directory.file("models") }

        init() throws {
            let sample = try String(contentsOfFile: ShardedRunTests.root + "/Pipelines/sample.yaml", encoding: .utf8)
                .replacingOccurrences(of: "epochs: 12", with: "epochs: 1").replacingOccurrences(of: "patience: 3 ", with: "patience: 1 ")
            try sample.write(toFile: directory.file("whole.yaml"), atomically: true, encoding: .utf8)
            var stage = ""
            let sharded = sample.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
                if line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.dropFirst(2).split(separator: ":").first {
                    stage = String(name)
                }
                return stage != "train"
            }
            try sharded.joined(separator: "\n").write(toFile: directory.file("sharded.yaml"), atomically: true, encoding: .utf8)
        }

        func run(_ name: String, pipeline: String, _ flags: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
            try loom(["run", directory.file(pipeline), "--no-progress"] + flags, name: name)
        }

        func loom(_ arguments: [String], name: String = "") throws -> (status: Int32, stdout: String, stderr: String) {
            try ProbeProcess("loom", arguments: arguments,
                             environment: ["LOOM_WORK": directory.file("\(name)/work"), "LOOM_OUT": directory.file("\(name)/out"),
                                           "LOOM_MODELS": models],
                             directory: ShardedRunTests.root).runCapturingOutput()
        }

        static let outputs = ["work/catalog", "work/images", "work/text", "work/features", "work/embeddings", "out/index"]

        /// Each shardable output's meta, but for what times the run or counts how its work was
        /// done (`ShardMerger.timingKeys`, `.workCountKeys`).
        func metas(_ name: String) throws -> [String: StageMeta] {
            var metas: [String: StageMeta] = [:]
            for output in Runs.outputs {
                var meta = try StageMeta.read(path: directory.file("\(name)/\(output).sqlite"))
                meta.started = ""
                meta.finished = ""
                meta.extra = meta.extra.filter { !ShardMerger.timingKeys.contains($0.key) }
                meta.counts = meta.counts.filter { !ShardMerger.workCountKeys.contains($0.key) }
                metas[output] = meta
            }
            return metas
        }

        func counts(_ name: String, stage: String) throws -> [String: Int] {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("\(name)/work/reports/\(stage).json")))
            return try JSONDecoder().decode(StageReport.self, from: data).counts
        }
    }

    static func expectSame(_ actual: [String: StageMeta], _ expected: [String: StageMeta], _ label: String) throws {
        for output in Runs.outputs {
            let a = try #require(actual[output]), b = try #require(expected[output])
            #expect(a.contentHash == b.contentHash, "\(label): \(output) content hash")
            #expect(a == b, "\(label): \(output) meta: counts \(a.counts) vs \(b.counts); extra \(a.extra) vs \(b.extra); records \(a.records) vs \(b.records)")
        }
    }

    @Test func shardsMergeIntoTheWholeRunAndRerunsReusePerShard() throws {
        let runs = try Runs()
        let whole = try runs.run("whole", pipeline: "whole.yaml")
        try #require(whole.status == 0, "\(whole.stderr)")
        let expected = try runs.metas("whole")
        #expect(expected["work/catalog"]?.rejects == 3 && expected["work/images"]!.rejects > 0, "rejects to merge")

        for count in [1, 2, 3] {
            let sharded = try runs.run("s\(count)", pipeline: "sharded.yaml", ["--shards", "\(count)"])
            try #require(sharded.status == 0, "\(sharded.stderr)")
            if count > 1 {
                #expect(sharded.stdout.contains("images: running as \(count) shards"), "\(sharded.stdout)")
                #expect(sharded.stdout.contains("index: 307 records merged"), "\(sharded.stdout)")
                let left = try FileManager.default.contentsOfDirectory(atPath: runs.directory.file("s\(count)/work")).filter { $0.contains(".shard-") && $0.hasSuffix(".sqlite") }
                #expect(left.isEmpty, "merged shard files are removed: \(left)")
            }
            try Self.expectSame(try runs.metas("s\(count)"), expected, "\(count) shard(s)")
        }

        // A sharded rerun reuses each shard's rows from the whole output and changes nothing.
        let rerun = try runs.run("s2", pipeline: "sharded.yaml", ["--shards", "2", "--force"])
        try #require(rerun.status == 0, "\(rerun.stderr)")
        try Self.expectSame(try runs.metas("s2"), expected, "rerun")
        for stage in ["images", "text", "features", "embed", "index"] {
            let counts = try runs.counts("s2", stage: stage)
            #expect((counts["reused"] ?? 0) >= 290 && (counts["computed"] ?? 0) == 0, "\(stage): \(counts)")
        }

        // A stage's shards run by hand, then merged; and the sets a merge refuses (exit 65).
        let work = runs.directory.file("s2/work")
        for index in 0..<2 {
            let shard = try runs.loom(["text", "--work", work, "--shard", "\(index)/2", "--no-progress"])
            try #require(shard.status == 0, "\(shard.stderr)")
        }
        let shardFile = { (index: Int) in runs.directory.file("s2/work/text.shard-\(index)-of-2.sqlite") }
        let keep = try runs.loom(["merge", "--work", work, "--stage", "text", "--keep-shards"])
        #expect(keep.status == 0 && FileManager.default.fileExists(atPath: shardFile(1)), "\(keep.stderr)")
        #expect(try StageMeta.read(path: work + "/text.sqlite").contentHash == expected["work/text"]?.contentHash)

        try FileManager.default.moveItem(atPath: shardFile(1), toPath: shardFile(1) + ".aside")
        let incomplete = try runs.loom(["merge", "--work", work, "--stage", "text"])
        #expect(incomplete.status == 65 && incomplete.stderr.contains("incomplete set: 1 of 2 shards missing (text.shard-1-of-2.sqlite)"),
                "\(incomplete.stderr)")
        try FileManager.default.copyItem(atPath: shardFile(0), toPath: shardFile(1))
        let doubled = try runs.loom(["merge", "--work", work, "--stage", "text"])
        #expect(doubled.status == 65 && doubled.stderr.contains("holds shard 0/2, not 1/2"), "\(doubled.stderr)")
        try FileManager.default.removeItem(atPath: shardFile(1))
        let foreign = try runs.loom(["text", "--work", work, "--shard", "1/2", "--max-len", "16", "--no-progress"])
        try #require(foreign.status == 0, "\(foreign.stderr)")
        let mixed = try runs.loom(["merge", "--work", work, "--stage", "text"])
        #expect(mixed.status == 65 && mixed.stderr.contains("made with other settings than shard 0/2"), "\(mixed.stderr)")
        #expect(FileManager.default.fileExists(atPath: shardFile(0)), "a refused merge removes nothing")
        let whole2 = try runs.loom(["merge", "--work", work, "--stage", "triplets"])
        #expect(whole2.status == 64 && whole2.stderr.contains("runs whole only"), "\(whole2.stderr)")
    }
}
