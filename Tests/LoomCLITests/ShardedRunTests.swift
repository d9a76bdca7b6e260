import Foundation
import LoomCore
import LoomTestSupport
import Testing
import Yams

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
            // Written elsewhere, so its SampleData paths (relative to Pipelines/) become absolute.
            let sample = try String(contentsOfFile: ShardedRunTests.root + "/Pipelines/sample.yaml", encoding: .utf8)
                .replacingOccurrences(of: "../SampleData/", with: ShardedRunTests.root + "/SampleData/")
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

        // Merged outputs are fresh: an unsharded run after the sharded one has nothing to do.
        let again = try runs.run("s2", pipeline: "sharded.yaml")
        #expect(again.status == 0 && again.stdout.contains("0 ran, 7 skipped"), "\(again.stdout)\(again.stderr)")

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
        // Index shards written under another file name merge into that file.
        for index in 0..<2 {
            let shard = try runs.loom(["index", "--work", work, "--out", runs.directory.file("s2/out/other.sqlite"), "--shard", "\(index)/2", "--no-progress"])
            try #require(shard.status == 0, "\(shard.stderr)")
        }
        let named = try runs.loom(["merge", "--work", work, "--stage", "index", "--out", runs.directory.file("s2/out/other.sqlite")])
        #expect(named.status == 0, "\(named.stderr)")
        #expect(try StageMeta.read(path: runs.directory.file("s2/out/other.sqlite")).contentHash == expected["out/index"]?.contentHash)

        let whole2 = try runs.loom(["merge", "--work", work, "--stage", "triplets"])
        #expect(whole2.status == 64 && whole2.stderr.contains("runs whole only"), "\(whole2.stderr)")

        try onSlurm(runs, expected: expected)
    }

    /// The same pipeline on a real single-node Slurm cluster (scripts/slurm-local.sh: munged,
    /// slurmctld and slurmd on localhost), 3 shards: job arrays and merge jobs give the whole
    /// run's outputs; a failing task ends the run with its own exit status, naming its log.
    func onSlurm(_ runs: Runs, expected: [String: StageMeta]) throws {
        let cluster = runs.directory.file("slurm")
        // system(3), not Process: the daemons the script starts inherit descriptors that
        // Foundation's Process watches, and it would wait for them to exit too.
        func script(_ action: String) -> (status: Int32, stdout: String) {
            let log = runs.directory.file("slurm-local-\(action).out")
            let status = system("/bin/bash '\(ShardedRunTests.root)/scripts/slurm-local.sh' \(action) '\(cluster)' > '\(log)' 2>&1 < /dev/null")
            return (status, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        }
        let started = script("start")
        defer { _ = script("stop") }
        try #require(started.status == 0 && started.stdout.contains("SLURM_CONF="), "slurm-local.sh start: \(started.stdout)")
        let configuration = cluster + "/slurm.conf"
        // The whole one-epoch pipeline: train runs as a single job between the arrays.
        let pipeline = try String(contentsOfFile: runs.directory.file("whole.yaml"), encoding: .utf8)
        try (pipeline + "\nslurm: {partition: debug, time: \"00:20:00\"}\n")
            .write(toFile: runs.directory.file("slurm.yaml"), atomically: true, encoding: .utf8)
        func slurm(_ name: String, _ file: String, _ flags: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
            try ProbeProcess("loom", arguments: ["run", runs.directory.file(file), "--shards", "3", "--executor", "slurm"] + flags,
                             environment: ["LOOM_WORK": runs.directory.file("\(name)/work"), "LOOM_OUT": runs.directory.file("\(name)/out"),
                                           "LOOM_MODELS": runs.models, "SLURM_CONF": configuration],
                             directory: ShardedRunTests.root).runCapturingOutput()
        }

        let dry = try slurm("slurm", "slurm.yaml", ["--dry-run"])
        #expect(dry.status == 0 && dry.stdout.contains("#SBATCH --array=0-2") && dry.stdout.contains("#SBATCH --partition=debug")
                && dry.stdout.contains("#SBATCH --time=00:20:00") && dry.stdout.contains("--dependency=afterok:<job 1>")
                && dry.stdout.contains("14 Slurm jobs for 8 stages (dry run, nothing submitted)"), "\(dry.stdout)\(dry.stderr)")
        #expect(!FileManager.default.fileExists(atPath: runs.directory.file("slurm/work/catalog.sqlite")))

        // The train job makes the model again (the index's hash below then says it is the same).
        try FileManager.default.removeItem(atPath: runs.models + "/loomnet-sample")
        let run = try slurm("slurm", "slurm.yaml")
        try #require(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("images: submitted 3 shards as Slurm job") && run.stdout.contains("8 ran as 14 Slurm jobs"), "\(run.stdout)")
        try Self.expectSame(try runs.metas("slurm"), expected, "Slurm, 3 shards")

        // A task that fails (its catalog is gone) ends the run with its exit status, 66.
        try pipeline.replacingOccurrences(of: "SampleData/catalog/meta_2018.jsonl", with: "SampleData/catalog/missing.jsonl")
            .write(toFile: runs.directory.file("broken.yaml"), atomically: true, encoding: .utf8)
        let broken = try slurm("broken", "broken.yaml")
        #expect(broken.status == 66 && broken.stderr.contains("Slurm job ") && broken.stderr.contains("(ingest.shard-0-of-3)")
                && broken.stderr.contains("exit status 66") && broken.stderr.contains("/slurm/logs/ingest-"), "\(broken.stderr)")

        // SIGTERM to the submitting run while its jobs wait (they may not begin for an hour):
        // it cancels every job it submitted and exits 75.
        func queue() throws -> [String] {
            let squeue = Process()
            squeue.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            squeue.arguments = ["squeue", "--noheader", "--format=%i"]
            squeue.environment = ProcessInfo.processInfo.environment.merging(["SLURM_CONF": configuration]) { $1 }
            let output = Pipe()
            squeue.standardOutput = output
            try squeue.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            squeue.waitUntilExit()
            return text.split(separator: "\n").map(String.init)
        }
        let before = try queue()
        try #require(before.isEmpty, "jobs left from the runs before: \(before)")
        try (pipeline + "\nslurm: {partition: debug, time: \"00:20:00\", options: [\"--begin=now+3600\"]}\n")
            .write(toFile: runs.directory.file("later.yaml"), atomically: true, encoding: .utf8)
        let waiting = ProbeProcess("loom", arguments: ["run", runs.directory.file("later.yaml"), "--shards", "3", "--executor", "slurm"],
                                   environment: ["LOOM_WORK": runs.directory.file("later/work"), "LOOM_OUT": runs.directory.file("later/out"),
                                                 "LOOM_MODELS": runs.models, "SLURM_CONF": configuration],
                                   directory: ShardedRunTests.root)
        try waiting.start()
        let deadline = Date().addingTimeInterval(60)
        while try queue().count < 3, waiting.process.isRunning, Date() < deadline { usleep(100_000) }
        try #require(try queue().count >= 3, "no jobs in the queue (the run is \(waiting.process.isRunning ? "waiting" : "gone"))")
        kill(waiting.process.processIdentifier, SIGTERM)
        waiting.process.waitUntilExit()
        #expect(waiting.process.terminationReason == .exit && waiting.process.terminationStatus == 75, "exit \(waiting.process.terminationStatus)")
        let cancelled = Date().addingTimeInterval(20)
        var left = try queue()
        while !left.isEmpty, Date() < cancelled {
            usleep(200_000)
            left = try queue()
        }
        #expect(left.isEmpty, "jobs left after SIGTERM: \(left)")
    }

    /// `--executor kubernetes --emit DIR`: a volume claim, per shardable stage an Indexed Job
    /// and a merge Job, per whole stage a Job, all on the claim, and a script that applies them
    /// in order; the YAML parses and has the structure Kubernetes expects.
    @Test func kubernetesManifestsAreIndexedJobsOnOneVolume() throws {
        let directory = TemporaryDirectory("loom-kubernetes")
        let pipeline = try String(contentsOfFile: ShardedRunTests.root + "/Pipelines/sample.yaml", encoding: .utf8)
            + "\nkubernetes: {image: registry.example/loom:0.1.0, storage: 20Gi, cpus: 2, mount_path: \(directory.path)}\n"
        try pipeline.write(toFile: directory.file("k8s.yaml"), atomically: true, encoding: .utf8)
        let emit = directory.file("manifests")
        let result = try ProbeProcess("loom", arguments: ["run", directory.file("k8s.yaml"), "--shards", "3", "--executor", "kubernetes", "--emit", emit],
                                      environment: ["LOOM_WORK": directory.file("work"), "LOOM_OUT": directory.file("out")],
                                      directory: ShardedRunTests.root).runCapturingOutput()
        try #require(result.status == 0, "\(result.stderr)")
        let outside = try ProbeProcess("loom", arguments: ["run", directory.file("k8s.yaml"), "--executor", "kubernetes", "--emit", emit],
                                       environment: ["LOOM_WORK": "/var/tmp/loom-elsewhere", "LOOM_OUT": directory.file("out")], directory: ShardedRunTests.root).runCapturingOutput()
        #expect(outside.status == 64 && outside.stderr.contains("is not under the volume's mount path"), "\(outside.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: emit).sorted()
        // 6 shardable stages × (shards + merge) + triplets + train, the claim and the script.
        #expect(names.count == 6 * 2 + 2 + 2, "\(names)")
        #expect(names.first == "00-volume.yaml" && names.contains("01-loom-ingest.yaml") && names.contains("02-loom-ingest-merge.yaml")
                && names.contains("apply.sh"), "\(names)")
        let claim = try #require(try Yams.load(yaml: String(contentsOfFile: emit + "/00-volume.yaml", encoding: .utf8)) as? [String: Any])
        #expect(claim["kind"] as? String == "PersistentVolumeClaim")
        let claimName = try #require((claim["metadata"] as? [String: Any])?["name"] as? String)
        let access = ((claim["spec"] as? [String: Any])?["accessModes"] as? [String]) ?? []
        #expect(access == ["ReadWriteMany"])

        for name in names where name.hasSuffix(".yaml") && name != "00-volume.yaml" {
            let job = try #require(try Yams.load(yaml: String(contentsOfFile: emit + "/" + name, encoding: .utf8)) as? [String: Any], "\(name)")
            #expect(job["apiVersion"] as? String == "batch/v1" && job["kind"] as? String == "Job", "\(name)")
            let spec = try #require(job["spec"] as? [String: Any])
            let pod = try #require((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
            let container = try #require((pod["containers"] as? [[String: Any]])?.first)
            let command = (container["command"] as? [String]) ?? []
            #expect(pod["restartPolicy"] as? String == "Never" && container["image"] as? String == "registry.example/loom:0.1.0", "\(name)")
            let volume = (pod["volumes"] as? [[String: Any]])?.first?["persistentVolumeClaim"] as? [String: Any]
            #expect(volume?["claimName"] as? String == claimName, "\(name)")
            let env = (container["env"] as? [[String: Any]]) ?? []
            #expect(env.contains { $0["name"] as? String == "LOOM_WORK" && $0["value"] as? String == directory.file("work") }, "\(name)")
            #expect(!env.contains { $0["name"] as? String == WorkLock.heldByRunVariable }, "pods take their own locks")
            let isShards = name.hasSuffix("-merge.yaml") == false && ["ingest", "images", "text", "features", "embed", "index"]
                .contains { name.hasSuffix("-loom-\($0).yaml") }
            if isShards {
                #expect(spec["completionMode"] as? String == "Indexed" && spec["completions"] as? Int == 3, "\(name)")
                #expect(command.last?.contains("--shard \"$JOB_COMPLETION_INDEX/3\"") == true, "\(name): \(command)")
            } else {
                #expect(spec["completionMode"] == nil && spec["completions"] as? Int == 1, "\(name)")
                #expect(command.last?.contains(name.hasSuffix("-merge.yaml") ? "loom merge" : "--only") == true, "\(name): \(command)")
            }
        }
        let apply = try String(contentsOfFile: emit + "/apply.sh", encoding: .utf8)
        #expect(apply.contains("kubectl apply -f 00-volume.yaml") && apply.contains("kubectl wait --for=condition=complete")
                && apply.contains("kubectl wait --for=condition=failed") && apply.contains("wait_job loom-index-merge\n"))
        let order = ["loom-ingest", "loom-ingest-merge", "loom-images", "loom-triplets", "loom-train", "loom-index-merge"]
            .compactMap { apply.range(of: "wait_job \($0)\n")?.lowerBound }
        #expect(order.count == 6 && order == order.sorted(), "jobs applied in pipeline order")
    }
}
