import Foundation
import LoomCore
import LoomFormats
import LoomInference

/// `loom eval`: one model and the baselines, scored by the same `RankingMetrics` code on the
/// same held-out pairs and questions.
public enum ModelEvaluation {
    public struct Row: Codable, Sendable {
        public var name: String
        public var metrics: RankingMetrics
    }

    /// Rows: random, popularity, image only (pretrained backbone features), text only (TF-IDF),
    /// the untrained starting model, then `model`.
    public static func run(work: String, model: String, untrained: String, split: ItemSplit.Part, seed: UInt64, threads: Int) throws -> [Row] {
        let (config, weights) = try LoomNet.source(directory: model)
        let data = try TrainingData.load(work: work, config: config, modelDirectory: model)
        guard !(data.positives[split] ?? []).isEmpty else {
            throw LoomError.usage("no pairs in split '\(split)' of \((work as NSString).appendingPathComponent(StageOutputFile.triplets.fileName)) (splits: train, valid, test)")
        }
        func metrics(_ score: (Int, Int) -> Double) -> RankingMetrics { RankingMetrics.compute(data, split: split, score: score) }
        func modelScorer(_ model: (config: LoomNetConfig, weights: any TensorSource)) throws -> (Int, Int) -> Double {
            let (config, weights) = model
            let parameters = try HeadParameters(config: config, source: weights)
            let trainer = Trainer(data: data, parameters: parameters, settings: .defaults, seed: seed, threads: threads)
            return Scorers.cosine(trainer.embeddings(of: Array(0..<data.count)), dim: config.embeddingDim)
        }
        let rows = [
            Row(name: "random", metrics: metrics(Scorers.random(seed: seed))),
            Row(name: "popularity", metrics: metrics(Scorers.popularity(data))),
            Row(name: "image only (pretrained features)", metrics: metrics(Scorers.image(data))),
            Row(name: "text only (TF-IDF)", metrics: metrics(Scorers.tfidf(data))),
            Row(name: "untrained LoomNet", metrics: metrics(try modelScorer(LoomNet.source(directory: untrained)))),
            Row(name: "LoomNet (\((model as NSString).lastPathComponent))", metrics: metrics(try modelScorer((config, weights)))),
        ]
        try data.visualStore?.requireAllReads(path: (work as NSString).appendingPathComponent(StageOutputFile.features.fileName))
        return rows
    }

    /// The rows as a fixed-width table.
    public static func table(_ rows: [Row], split: ItemSplit.Part) -> String {
        let width = max(34, rows.map(\.name.count).max() ?? 0)
        func pad(_ text: String, _ size: Int) -> String { text.count >= size ? text : text + String(repeating: " ", count: size - text.count) }
        func number(_ value: Double) -> String { String(format: "%7.3f", value) }
        var lines = [pad("\(split) split", width) + "     AUC     MRR     R@1     R@5    R@10    FITB"]
        for row in rows {
            let m = row.metrics
            lines.append(pad(row.name, width) + " " + [m.auc, m.mrr, m.recallAt1, m.recallAt5, m.recallAt10, m.fitb].map(number).joined(separator: " "))
        }
        if let m = rows.first?.metrics {
            lines.append("(\(m.triplets) triplets, \(m.pairs) pairs ranked among all items of the partner's type, \(m.questions) FITB questions)")
        }
        return lines.joined(separator: "\n")
    }
}
