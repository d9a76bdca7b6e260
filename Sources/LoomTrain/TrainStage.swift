import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// Stage train: learns LoomNet's heads from the co-purchase triplets with the weighted triplet
/// ranking loss (Sun et al. 2020), the MobileNetV2 backbone frozen and run once per image.
/// Writes the trained model directory (`out`: config.json, model.safetensors, vocab.txt,
/// metrics.json) and `work/train.sqlite` (one row per epoch, the rejects, meta).
public struct TrainStage: Stage {
    public typealias Settings = TrainSettings

    public static let name = StageOutputFile.train.stage
    public static let outputFileName = StageOutputFile.train.fileName
    public static let checkpointFileName = "train.checkpoint.safetensors"

    /// The earlier outputs training reads.
    static let reads: [StageOutputFile] = [.catalog, .features, .text, .triplets]

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return Self.reads.map(\.input) + ModelInput.modelFiles(settings.model).map { .file(label: "model", path: $0) }
    }

    /// The model directory's weights and config (deleting them makes train rerun).
    public func missingProducts(_ settings: Settings, context: StageContext) -> [String] {
        ["config.json", "model.safetensors"].map { (settings.out as NSString).appendingPathComponent($0) }
            .filter { !FileManager.default.fileExists(atPath: $0) }
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        guard context.shard.isWhole else { throw LoomError.usage("train reads every triplet: run it whole, not as a shard") }
        // The backbone ran in stage features: only the heads' weights are read here.
        var (config, weights) = try LoomNet.source(directory: settings.model)
        config.text.pooling = settings.textPooling
        let data = try TrainingData.load(work: context.workDirectory, config: config, modelDirectory: settings.model)
        let startTypes = config.types
        config.types = settings.typeAware ? Array(Set(data.types)).sorted() : nil
        context.logger.debug("training data: \(data.count) items; \(ProcessMemory.summary)")
        for problem in data.problems {
            output.rejects.record(source: problem.asin, position: "item \(problem.id)", reason: problem.reason, detail: problem.detail)
        }
        guard !(data.positives[.train] ?? []).isEmpty else {
            throw LoomError.badInput(path: context.workPath(.triplets), position: nil, reason: "no training triplets")
        }
        // The model training would replace: the warm start's weights and the acceptance's yardstick.
        let current = try Self.currentModel(settings)
        let warm = settings.warmStart ? current : nil
        let parameters = try HeadParameters(config: config, source: try Self.withTypePairs(
            config, over: warm?.weights ?? weights, whoseTypesAre: warm.map { $0.config.types } ?? startTypes))
        // Hashed now: the file is replaced when training is done.
        let warmStartHash = try current.flatMap { settings.warmStart ? try ContentHash.file(atPath: $0.weightsPath) : nil }
        if settings.warmStart, let current { context.logger.notice("warm start from \(current.path)") }
        let trainer = Trainer(data: data, parameters: parameters, settings: settings, seed: context.seed, threads: context.threads)
        let checkpoint = context.workPath(Self.checkpointFileName)
        let fingerprint = try Self.fingerprint(settings, context: context)
        if settings.resume, FileManager.default.fileExists(atPath: checkpoint) {
            try TrainingCheckpoint.restore(trainer, fingerprint: fingerprint, from: checkpoint)
            context.logger.notice("resuming after epoch \(trainer.state.completedEpochs) from \(checkpoint)")
        } else if settings.resume {
            context.logger.notice("no checkpoint at \(checkpoint): starting from epoch 1")
        }

        try output.database.write { db in
            try db.execute(sql: StageOutputFile.train.schema)
            for epoch in trainer.state.history {   // epochs of a resumed run, timings unknown
                try db.execute(sql: "INSERT INTO epochs (epoch, loss, valid_auc, triplets, steps) VALUES (?, ?, ?, ?, ?)",
                               arguments: [epoch.epoch, epoch.loss, epoch.validAUC, epoch.triplets, epoch.steps])
            }
        }
        var trainingSeconds = 0.0, trainedTriplets = 0
        // Per epoch; nil for the epochs of a resumed run, whose timings are unknown.
        var epochSeconds: [Double?] = trainer.state.history.map { _ in nil }
        while !trainer.finished {
            let bar = context.progress("train epoch \(trainer.state.completedEpochs + 1)/\(settings.epochs)", total: nil)
            let started = Date()
            let epoch = trainer.runEpoch { done, _ in bar.advance(by: done) }
            bar.finish()
            let seconds = Date().timeIntervalSince(started)
            trainingSeconds += seconds
            epochSeconds.append((seconds * 1000).rounded() / 1000)
            trainedTriplets += epoch.triplets
            let rate = Double(epoch.triplets) / max(seconds, 1e-9)
            context.logger.info("""
                epoch \(epoch.epoch)/\(settings.epochs): loss \(String(format: "%.4f", epoch.loss)), \
                valid AUC \(String(format: "%.4f", epoch.validAUC)), \(Int(rate)) triplets/s\
                \(trainer.state.stopped ? " — no better valid AUC for \(settings.patience) epochs, stopping" : "")
                """)
            try output.database.write { db in
                try db.execute(sql: "INSERT INTO epochs VALUES (?, ?, ?, ?, ?)",
                               arguments: [epoch.epoch, epoch.loss, epoch.validAUC, epoch.triplets, epoch.steps])
            }
            try TrainingCheckpoint.write(trainer, fingerprint: fingerprint, to: checkpoint)
        }

        parameters.restore(trainer.best)
        context.logger.debug("trained; \(ProcessMemory.summary)")
        let metrics = trainer.evaluate(splits: [.valid, .test])
        context.logger.debug("evaluated; \(ProcessMemory.summary)")
        try data.visualStore?.requireAllReads(path: context.workPath(.features))
        let (valid, test) = (metrics[0], metrics[1])
        // Acceptance: the current model's validation AUC on today's pairs is the bar.
        var currentAUC: Double?
        if let tolerance = settings.acceptTolerance, let current {
            let judge = Trainer(data: data, parameters: try HeadParameters(config: current.config, source: current.weights),
                                settings: settings, seed: context.seed, threads: context.threads)
            currentAUC = judge.validationAUC()
            if let bar = currentAUC, trainer.state.bestAUC < bar - tolerance {
                context.logger.warning("""
                    kept the current model \(current.path): the retrained one's validation AUC \(String(format: "%.4f", trainer.state.bestAUC)) \
                    is more than accept_tolerance \(tolerance) below its \(String(format: "%.4f", bar))
                    """)
            }
        }
        let replaced = currentAUC.map { trainer.state.bestAUC >= $0 - (settings.acceptTolerance ?? 0) } ?? true
        if replaced {
            try ModelDirectoryWriter.write(
                parameters: parameters, startModel: settings.model, config: config, to: settings.out,
                metrics: .init(state: trainer.state, valid: valid, test: test, settings: settings, seed: context.seed,
                               items: data.count, trainTriplets: trainer.tripletsPerEpoch))
        }
        try? FileManager.default.removeItem(atPath: checkpoint)

        let counts = [
            "items": data.count, "items_with_image": data.itemsWithImage,
            "items_with_text": data.tokens.filter { !$0.isEmpty }.count,
            "skipped_triplet_rows": data.skippedTriplets, "skipped_fitb_questions": data.skippedQuestions,
            "epochs": trainer.state.completedEpochs, "best_epoch": trainer.state.bestEpoch,
            "train_triplets_per_epoch": trainer.tripletsPerEpoch, "model_replaced": replaced ? 1 : 0,
            "triplets_per_second": trainingSeconds > 0 ? Int(Double(trainedTriplets) / trainingSeconds) : 0,
        ]
        var result = StageResult(records: data.count, counts: counts, unit: "items")
        result.work = StageWork(count: trainedTriplets, unit: "triplets", seconds: trainingSeconds)
        result.meta = [
            "model": settings.out, "started_from": settings.model,
            "best_valid_auc": String(format: "%.4f", trainer.state.bestAUC),
            "test_auc": String(format: "%.4f", test.auc), "test_fitb": String(format: "%.4f", test.fitb),
        ]
        result.meta["epoch_seconds"] = String(decoding: try JSONEncoder().encode(epochSeconds), as: UTF8.self)
        if let warmStartHash { result.meta["warm_start_from"] = warmStartHash }
        if let currentAUC { result.meta["current_valid_auc"] = String(format: "%.4f", currentAUC) }
        return result
    }

    /// The trained model now in `out`, if there is one.
    struct CurrentModel {
        var path: String
        var weightsPath: String
        var config: LoomNetConfig
        var weights: any TensorSource
    }

    static func currentModel(_ settings: Settings) throws -> CurrentModel? {
        let weightsPath = (settings.out as NSString).appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsPath) else { return nil }
        let (config, weights) = try LoomNet.source(directory: settings.out)
        return CurrentModel(path: settings.out, weightsPath: weightsPath, config: config, weights: weights)
    }

    /// With `retrain_every_days`, a stale train stage whose model is younger than that keeps it.
    public func deferral(_ settings: Settings, recorded: StageMeta, context: StageContext) -> String? {
        guard let days = settings.retrainEveryDays, missingProducts(settings, context: context).isEmpty,
              let finished = ISO8601DateFormatter().date(from: recorded.finished) else { return nil }
        let age = Date().timeIntervalSince(finished) / 86_400
        guard age < Double(days) else { return nil }
        return String(format: "retrains every %d days, last trained %.1f days ago: embed uses the current model; --retrain trains now",
                      days, age)
    }

    /// `source` with type-pair weights for `config`'s types: its own when it has them for the same
    /// types; else each pair the source knows by name keeps its row (a warm start over a catalog
    /// that gained a type) and every other pair starts at ones, the plain cosine.
    static func withTypePairs(_ config: LoomNetConfig, over source: any TensorSource, whoseTypesAre sourceTypes: [String]?) throws -> any TensorSource {
        guard let types = config.types else { return source }
        if sourceTypes == types { return source }
        let dim = config.embeddingDim
        var values = [Float](repeating: 1, count: TypePairWeights.pairCount(types.count) * dim)
        if let sourceTypes {
            let known = TypePairWeights(types: sourceTypes, dim: dim, weights: try source.floats(
                TypePairWeights.tensorName, shape: TypePairWeights.shape(types: sourceTypes.count, dim: dim)))
            for a in types.indices {
                for b in a..<types.count {
                    guard let row = known.row(types[a], types[b]) else { continue }
                    let start = TypePairWeights.row(a, b, types: types.count) * dim
                    values.replaceSubrange(start..<(start + dim), with: row)
                }
            }
        }
        let tensor = SafetensorsWriter.Tensor(name: TypePairWeights.tensorName, shape: TypePairWeights.shape(types: types.count, dim: dim),
                                              values: values)
        return TensorSet([tensor], origin: "type-pair weights", over: source)
    }

    /// What a checkpoint must match to be resumed: settings, seed and the inputs' content.
    static func fingerprint(_ settings: Settings, context: StageContext) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys   // key order is otherwise free to change from run to run
        var parts = [String(decoding: try encoder.encode(settings), as: UTF8.self), "seed \(context.seed)"]
        for file in Self.reads {
            parts.append(try StageMeta.read(path: context.workPath(file)).contentHash)
        }
        for file in ModelInput.modelFiles(settings.model) { parts.append(try ContentHash.file(atPath: file)) }
        return ContentHash.string(parts.joined(separator: "\n"))
    }
}
