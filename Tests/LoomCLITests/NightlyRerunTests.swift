import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// The nightly cron job's second night: after a catalog change (3 titles changed, 5 items added,
/// 2 gone, 2 photos replaced), `loom run` reuses what did not change and ends with the same
/// outputs, byte for byte in content, as a run over the same inputs in an empty work directory.
@Suite struct NightlyRerunTests {
    static let root = CommandLineTests.root

    /// A copy of SampleData's 2018 and 2023 catalogs and all its photos, and a pipeline over them
    /// that trains one epoch.
    struct Night {
        let directory: TemporaryDirectory
        var catalog: String { directory.file("catalog.jsonl") }
        var images: String { directory.file("images") }
        var pipeline: String { directory.file("nightly.yaml") }
        /// The same pipeline retraining once a week.
        var weekly: String { directory.file("weekly.yaml") }

        init() throws {
            directory = TemporaryDirectory("loom-nightly")
            try FileManager.default.copyItem(atPath: NightlyRerunTests.root + "/SampleData/images", toPath: directory.file("images"))
            let models = NightlyRerunTests.root + "/Models"
            try """
                work: ${LOOM_WORK}
                out: ${LOOM_OUT}
                seed: 3
                stages:
                  ingest: {catalog: [\(directory.file("catalog.jsonl"))], images: [\(directory.file("images"))]}
                  images: {}
                  text: {vocab: \(models)/wordpiece/vocab.txt}
                  triplets: {}
                  features: {model: \(models)/loomnet-v1}
                  train: {model: \(models)/loomnet-v1, out: "${LOOM_MODELS}/nightly", epochs: 1, patience: 1}
                  embed: {model: "${LOOM_MODELS}/nightly"}
                  index: {}
                """.write(toFile: directory.file("nightly.yaml"), atomically: true, encoding: .utf8)
            let nightly = try String(contentsOfFile: directory.file("nightly.yaml"), encoding: .utf8)
            try nightly.replacingOccurrences(of: "epochs: 1, patience: 1}", with: "epochs: 1, patience: 1, retrain_every_days: 7}")
                .write(toFile: directory.file("weekly.yaml"), atomically: true, encoding: .utf8)
        }

        /// Runs the pipeline (`nightly.yaml` unless given) into `name`/work, `name`/out and `name`/models.
        func run(_ name: String, pipeline file: String? = nil, _ flags: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
            try ProbeProcess("loom", arguments: ["run", file ?? pipeline, "--no-progress"] + flags,
                             environment: ["LOOM_WORK": directory.file("\(name)/work"), "LOOM_OUT": directory.file("\(name)/out"),
                                           "LOOM_MODELS": directory.file("\(name)/models")],
                             directory: NightlyRerunTests.root).runCapturingOutput()
        }

        /// Runs another loom command from the project root.
        func loom(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try ProbeProcess("loom", arguments: arguments, directory: NightlyRerunTests.root).runCapturingOutput()
        }

        /// Each output's content hash (train.sqlite aside: it records epoch timings).
        func contentHashes(_ name: String) throws -> [String: String] {
            var hashes: [String: String] = [:]
            for file in ["catalog", "images", "text", "triplets", "features", "embeddings"] {
                hashes[file] = try StageMeta.read(path: directory.file("\(name)/work/\(file).sqlite")).contentHash
            }
            hashes["index"] = try StageMeta.read(path: directory.file("\(name)/out/index.sqlite")).contentHash
            return hashes
        }

        func counts(_ name: String, stage: String) throws -> [String: Int] {
            let data = try Data(contentsOf: URL(fileURLWithPath: directory.file("\(name)/work/reports/\(stage).json")))
            return try JSONDecoder().decode(StageReport.self, from: data).counts
        }
    }

    /// Catalog lines as JSON objects, each on its own line.
    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    static func write(_ lines: [[String: Any]], to path: String) throws {
        try lines.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]), as: UTF8.self) }
            .joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func theSecondNightReusesWhatDidNotChangeAndEqualsAFreshRun() throws {
        let night = try Night()
        let all = try Self.lines(Self.root + "/SampleData/catalog/meta_2018.jsonl") + Self.lines(Self.root + "/SampleData/catalog/meta_2023.jsonl")
        var catalog = Array(all.dropLast(5))
        try Self.write(catalog, to: night.catalog)
        let first = try night.run("a")
        #expect(first.status == 0, "\(first.stderr)")
        let weeklyFirst = try night.run("c", pipeline: night.weekly)
        #expect(weeklyFirst.status == 0 && weeklyFirst.stdout.contains("train: running (missing"), "\(weeklyFirst.stderr)")
        let weeklyModel = try Data(contentsOf: URL(fileURLWithPath: night.directory.file("c/models/nightly/model.safetensors")))

        // Next night's dump: 3 retitled, 2 gone, 5 new; and 2 photos replaced in place.
        for index in [3, 40, 150] { catalog[index]["title"] = "\(catalog[index]["title"] as? String ?? "") Deluxe Edition" }
        catalog.remove(at: 120)
        catalog.remove(at: 10)
        catalog += all.suffix(5)
        try Self.write(catalog, to: night.catalog)
        let photos = try FileManager.default.contentsOfDirectory(atPath: night.images).sorted()
        for (target, source) in [(photos[0], photos[1]), (photos[2], photos[3])] {
            try FileManager.default.removeItem(atPath: night.images + "/" + target)
            try FileManager.default.copyItem(atPath: night.images + "/" + source, toPath: night.images + "/" + target)
        }
        let second = try night.run("a")
        #expect(second.status == 0, "\(second.stderr)")
        let fresh = try night.run("b")
        #expect(fresh.status == 0, "\(fresh.stderr)")

        #expect(try night.contentHashes("a") == night.contentHashes("b"))
        let modelA = try Data(contentsOf: URL(fileURLWithPath: night.directory.file("a/models/nightly/model.safetensors")))
        let modelB = try Data(contentsOf: URL(fileURLWithPath: night.directory.file("b/models/nightly/model.safetensors")))
        #expect(modelA == modelB, "the retrained model is the fresh run's")

        // What the second night reused: at least 95% of the rows of each stage that keeps rows.
        for stage in ["images", "text", "features"] {
            let counts = try night.counts("a", stage: stage)
            let reused = counts["reused"] ?? 0, computed = counts["computed"] ?? 0
            #expect(reused + computed > 150 && Double(reused) >= 0.95 * Double(reused + computed), "\(stage): \(counts)")
        }
        #expect(try night.counts("a", stage: "images")["files_read"] ?? 99 <= 7, "only new or replaced photos are read")
        #expect(try night.counts("b", stage: "images")["reused"] == 0)

        // Retraining once a week: the second night keeps the model (train stale, not run), and
        // embed runs the current model over the changed items only; --retrain trains now.
        let weeklySecond = try night.run("c", pipeline: night.weekly)
        #expect(weeklySecond.status == 0, "\(weeklySecond.stderr)")
        #expect(weeklySecond.stdout.contains("train: kept (stale: input ")
                && weeklySecond.stdout.contains("retrains every 7 days") && weeklySecond.stdout.contains("2 kept stale"), "\(weeklySecond.stdout)")
        // Only train reads the triplets: they wait for the night it retrains.
        #expect(weeklySecond.stdout.contains("triplets: kept (stale: input ") && weeklySecond.stdout.contains("only train reads it"),
                "\(weeklySecond.stdout)")
        let evaluation = try night.loom(["eval", "--work", night.directory.file("c/work"), "--model", night.directory.file("c/models/nightly")])
        #expect(evaluation.status == 66 && evaluation.stderr.contains("triplets.sqlite: made from another catalog.sqlite"),
                "a kept triplets output is not joined with today's catalog: \(evaluation.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: night.directory.file("c/models/nightly/model.safetensors"))) == weeklyModel)
        let embed = try night.counts("c", stage: "embed")
        #expect(Double(embed["reused"] ?? 0) >= 0.95 * Double(embed["items"] ?? 1) && (embed["computed"] ?? 99) <= 12, "\(embed)")
        let retrained = try night.run("c", pipeline: night.weekly, ["--retrain"])
        #expect(retrained.status == 0 && retrained.stdout.contains("triplets: running (stale")
                && retrained.stdout.contains("train: running (stale"), "\(retrained.stdout)")
    }
}
