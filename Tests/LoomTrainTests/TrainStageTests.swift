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
}
