import Foundation
import LoomCore
import LoomInference

/// Writes a trained model directory — config.json (the starting config, now self-contained),
/// model.safetensors (frozen backbone + trained heads), vocab.txt, metrics.json — next to its
/// final place and renames it in, so a reader sees the old model or the new one, never a mix.
/// Every file is a function of the weights and settings only (no timings, no dates): the same
/// run gives the same bytes.
enum ModelDirectoryWriter {
    struct Metrics: Encodable {
        var state: Trainer.State
        var valid: RankingMetrics
        var test: RankingMetrics
        var settings: TrainSettings
        var seed: UInt64
        var items: Int
        var trainTriplets: Int

        enum CodingKeys: String, CodingKey {
            case valid, test, settings, seed, items, epochs
            case bestEpoch = "best_epoch", bestValidAUC = "best_valid_auc", stoppedEarly = "stopped_early"
            case trainTriplets = "train_triplets_per_epoch"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(valid, forKey: .valid)
            try container.encode(test, forKey: .test)
            try container.encode(settings, forKey: .settings)
            try container.encode(seed, forKey: .seed)
            try container.encode(items, forKey: .items)
            try container.encode(state.history, forKey: .epochs)
            try container.encode(state.bestEpoch, forKey: .bestEpoch)
            try container.encode(state.bestAUC, forKey: .bestValidAUC)
            try container.encode(state.stopped, forKey: .stoppedEarly)
            try container.encode(trainTriplets, forKey: .trainTriplets)
        }
    }

    static func write(parameters: HeadParameters, startModel: String, config: LoomNetConfig, to directory: String, metrics: Metrics) throws {
        func start(_ name: String) -> String { (startModel as NSString).appendingPathComponent(name) }
        let fileManager = FileManager.default
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try fileManager.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        let staging = directory + ".tmp-\(getpid())"
        try? fileManager.removeItem(atPath: staging)
        StaleTemporaries.remove(besides: directory)
        try fileManager.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let removingStaging = Interruption.onInterrupt { try? FileManager.default.removeItem(atPath: staging) }
        defer { Interruption.remove(removingStaging) }
        func path(_ name: String) -> String { (staging as NSString).appendingPathComponent(name) }

        // The backbone's tensors come from the starting model's own weights or the file it names.
        let backbonePath: String
        if fileManager.fileExists(atPath: start("model.safetensors")) {
            backbonePath = start("model.safetensors")
        } else if let backbone = config.backboneWeights {
            backbonePath = backbone.hasPrefix("/") ? backbone : start(backbone)
        } else {
            throw LoomError.inputMissing(path: start("model.safetensors"), reason: "no weights and no backbone_weights in the config")
        }
        // A type-aware starting model's pair weights are a head too, kept only if this model has them.
        let heads = Set(parameters.tensors.map(\.name) + [TypePairWeights.tensorName])
        let backbone = try SafetensorsFile(path: backbonePath).allTensors().filter { !heads.contains($0.name) }
        try SafetensorsWriter.write(backbone + parameters.export(), metadata: ["format": "pt", "trained_by": "loom train"],
                                    to: path("model.safetensors"))

        var trained = config
        trained.backboneWeights = nil
        trained.initSeed = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try (encoder.encode(trained) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path("config.json")))
        try (encoder.encode(metrics) + Data("\n".utf8)).write(to: URL(fileURLWithPath: path("metrics.json")))
        if fileManager.fileExists(atPath: start("vocab.txt")) {
            try fileManager.copyItem(atPath: start("vocab.txt"), toPath: path("vocab.txt"))
        }

        // Both moves or neither: an interruption between them would leave no model directory.
        let retired = directory + ".old-\(getpid())"
        try Interruption.critical {
            if fileManager.fileExists(atPath: directory) { try fileManager.moveItem(atPath: directory, toPath: retired) }
            try fileManager.moveItem(atPath: staging, toPath: directory)
        }
        try? fileManager.removeItem(atPath: retired)
    }
}
