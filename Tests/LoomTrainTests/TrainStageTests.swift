import Foundation
import GRDB
import LoomCore
@testable import LoomEmbed
import LoomInference
import LoomTestSupport
import Testing
@testable import LoomTrain

/// The train stage end to end on SampleData: the model directory it writes loads, embeds, and
/// says what happened; the same run twice gives the same bytes.
@Suite struct TrainStageTests {
    static func settings(out: String) -> TrainSettings {
        var settings = TrainSettings.defaults
        settings.model = SampleWork.startModel
        settings.out = out
        settings.epochs = 1
        return settings
    }

    @Test func writesAModelDirectoryThatEmbedUses() throws {
        let sample = try SampleWork.directory()
        let work = TemporaryDirectory("loom-train-stage")
        for name in ["catalog.sqlite", "features.sqlite", "text.sqlite", "triplets.sqlite"] {
            try FileManager.default.copyItem(atPath: sample.file(name), toPath: work.file(name))
        }
        let out = work.file("models/sample")
        let report = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: Self.settings(out: out))
        #expect(report.counts["epochs"] == 1)
        #expect(report.counts["skipped_triplet_rows"] == 0 && report.counts["skipped_fitb_questions"] == 0)
        #expect(report.counts["items"]! >= 290)
        for file in ["config.json", "model.safetensors", "vocab.txt", "metrics.json"] {
            #expect(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(file)), "\(file) written")
        }
        #expect(!FileManager.default.fileExists(atPath: work.file(TrainStage.checkpointFileName)), "checkpoint removed when done")
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/metrics.json"))) as! [String: Any]
        #expect((metrics["epochs"] as? [Any])?.count == 1)
        #expect((metrics["test"] as? [String: Any])?["auc"] is Double)
        let epochs = try DatabaseQueue(path: work.file("train.sqlite")).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM epochs") }
        #expect(epochs == 1)

        // The trained directory is a complete model: it loads alone and embed runs on it.
        let config = try LoomNetConfig.load(path: out + "/config.json")
        #expect(config.backboneWeights == nil && config.initSeed == nil)
        let trained = try SafetensorsFile(path: out + "/model.safetensors")
        #expect(trained.entries.keys.contains("visual.features.0.0.weight") && trained.entries.keys.contains("fusion.2.bias"))
        let embed = try StageRunner(context: SampleWork.context(work.path))
            .run(EmbedStage(), settings: EmbedSettings(model: out, batch: 32, maxRejectRatio: 0.05))
        #expect(embed.counts["embedded"] == report.counts["items"])

        // Same inputs, settings and seed: the same model bytes at another thread count.
        #expect(report.counts["items_with_image"]! >= 290)
        let again = work.file("models/again")
        _ = try StageRunner(context: SampleWork.context(work.path, threads: 1)).run(TrainStage(), settings: Self.settings(out: again))
        for file in ["model.safetensors", "metrics.json", "config.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: out + "/" + file))
            let b = try Data(contentsOf: URL(fileURLWithPath: again + "/" + file))
            if file == "metrics.json" {
                // The settings record the output path; everything else is equal.
                #expect(String(decoding: a, as: UTF8.self).replacingOccurrences(of: "models/sample", with: "models/again")
                        == String(decoding: b, as: UTF8.self))
            } else {
                #expect(a == b, "\(file) differs between runs at 2 and 1 threads")
            }
        }
    }

    @Test func refusesAShardAndBadSettings() throws {
        let sample = try SampleWork.directory()
        let work = TemporaryDirectory("loom-train-bad")
        for name in ["catalog.sqlite", "features.sqlite", "text.sqlite", "triplets.sqlite"] {
            try FileManager.default.copyItem(atPath: sample.file(name), toPath: work.file(name))
        }
        var context = SampleWork.context(work.path)
        context.shard = try Shard(parsing: "0/2")
        #expect(throws: LoomError.self) { try StageRunner(context: context).run(TrainStage(), settings: Self.settings(out: work.file("m"))) }
        #expect(!FileManager.default.fileExists(atPath: work.file("m")))
        var bad = Self.settings(out: work.file("m"))
        bad.margin = 0
        #expect(throws: LoomError.self) { try TrainStage().inputs(bad, context: SampleWork.context(sample.path)) }
    }

    /// A retrain is judged against the current model on the same validation pairs: a worse one
    /// (a learning rate too small to learn) is not written, and the run says so; a warm start
    /// begins from the current model's weights, not the starting model's.
    @Test func aWorseRetrainKeepsTheCurrentModelAndAWarmStartBeginsFromIt() throws {
        let sample = try SampleWork.directory()
        let work = TemporaryDirectory("loom-train-accept")
        for name in ["catalog.sqlite", "features.sqlite", "text.sqlite", "triplets.sqlite"] {
            try FileManager.default.copyItem(atPath: sample.file(name), toPath: work.file(name))
        }
        let out = work.file("models/current")
        var first = Self.settings(out: out)
        (first.epochs, first.maxTripletsPerEpoch) = (2, 2000)
        _ = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: first)
        let model = out + "/model.safetensors"
        let current = try Data(contentsOf: URL(fileURLWithPath: model))

        var worse = first
        (worse.epochs, worse.learningRate, worse.acceptTolerance) = (1, 1e-9, 0)
        let kept = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: worse)
        #expect(kept.counts["model_replaced"] == 0, "\(kept.counts)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == current, "the current model stays")
        let judged = try StageMeta.read(path: work.file("train.sqlite")).extra
        #expect(Double(judged["current_valid_auc"] ?? "") ?? 0 > Double(judged["best_valid_auc"] ?? "") ?? 1, "\(judged)")

        // Warm start with a learning rate too small to move the weights: the result is the
        // current model's heads, not the starting model's (a cold start with the same settings
        // gives the starting model's).
        let saved = work.file("current.safetensors")
        try current.write(to: URL(fileURLWithPath: saved))
        let currentHash = try ContentHash.file(atPath: model)
        var warm = worse
        (warm.warmStart, warm.acceptTolerance) = (true, nil)
        let warmed = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: warm)
        #expect(warmed.counts["model_replaced"] == 1)
        #expect(try StageMeta.read(path: work.file("train.sqlite")).extra["warm_start_from"] == currentHash)
        func fusion(_ path: String) throws -> [Float] {
            let file = try SafetensorsFile(path: path)
            return try file.floats("fusion.2.weight", shape: file.entries["fusion.2.weight"]!.shape)
        }
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }
        let warmFusion = try fusion(model), currentFusion = try fusion(saved)
        #expect(distance(warmFusion, currentFusion) < 1e-5, "fine-tuned from the current model")
        var cold = warm
        (cold.warmStart, cold.out) = (false, work.file("models/cold"))
        _ = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: cold)
        #expect(distance(try fusion(work.file("models/cold/model.safetensors")), currentFusion) > 1e-3, "a cold start is elsewhere")
    }
}
