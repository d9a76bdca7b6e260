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
        /// For the embedding models: how their vectors use the space.
        public var health: EmbeddingHealth?
    }

    /// Resamples of the anchors behind each metric's 95% interval.
    public static let bootstrapResamples = 1_000

    /// A row scored by a caller's scorer, made once the held-out data is loaded (it is told the
    /// items' catalog ids: `data.ids[item]`), with the vectors behind it where there are some.
    public struct ExtraRow {
        public struct Scores {
            public var score: (Int, Int) -> Double
            /// `dim` floats per item, for the row's health figures.
            public var vectors: (dim: Int, rows: [Float])?

            public init(score: @escaping (Int, Int) -> Double, vectors: (dim: Int, rows: [Float])? = nil) {
                self.score = score
                self.vectors = vectors
            }
        }

        public var name: String
        public var make: (TrainingData) throws -> Scores

        public init(name: String, make: @escaping (TrainingData) throws -> Scores) {
            self.name = name
            self.make = make
        }
    }

    /// Rows: random, popularity, image only (pretrained backbone features), text only (TF-IDF),
    /// the untrained starting model, then `model`, then `extra`. Every row's intervals come from
    /// the same resamples of the split's anchors.
    public static func run(work: String, model: String, untrained: String, split: ItemSplit.Part, seed: UInt64, threads: Int,
                           bootstrap: Int = bootstrapResamples, extra: [ExtraRow] = []) throws -> [Row] {
        let (config, weights) = try LoomNet.source(directory: model)
        let data = try TrainingData.load(work: work, config: config, modelDirectory: model)
        guard !(data.positives[split] ?? []).isEmpty else {
            throw LoomError.usage("no pairs in split '\(split)' of \((work as NSString).appendingPathComponent(StageOutputFile.triplets.fileName)) (splits: train, valid, test)")
        }
        func metrics(_ score: (Int, Int) -> Double) -> RankingMetrics {
            RankingMetrics.compute(data, split: split, bootstrap: bootstrap, seed: seed, score: score)
        }
        let truePairs = (data.positives[split] ?? []).map { ($0.anchor, $0.positive) }
        func health(_ vectors: [Float], dim: Int) -> EmbeddingHealth? {
            EmbeddingHealth.measure(count: data.count, dim: dim, pairs: truePairs, seed: seed) { Array(vectors[($0 * dim)..<(($0 + 1) * dim)]) }
        }
        func modelRow(_ name: String, _ model: (config: LoomNetConfig, weights: any TensorSource)) throws -> Row {
            let (config, weights) = model
            let parameters = try HeadParameters(config: config, source: weights)
            let trainer = Trainer(data: data, parameters: parameters, settings: .defaults, seed: seed, threads: threads)
            let vectors = trainer.embeddings(of: Array(0..<data.count))
            return Row(name: name, metrics: metrics(trainer.scorer(vectors)), health: health(vectors, dim: config.embeddingDim))
        }
        func extraRow(_ extra: ExtraRow) throws -> Row {
            let scores = try extra.make(data)
            return Row(name: extra.name, metrics: metrics(scores.score), health: scores.vectors.flatMap { health($0.rows, dim: $0.dim) })
        }
        let rows = try [
            Row(name: "random", metrics: metrics(Scorers.random(seed: seed))),
            Row(name: "popularity", metrics: metrics(Scorers.popularity(data))),
            Row(name: "image only (pretrained features)", metrics: metrics(Scorers.image(data))),
            Row(name: "text only (TF-IDF)", metrics: metrics(Scorers.tfidf(data))),
            try modelRow("untrained LoomNet", LoomNet.source(directory: untrained)),
            try modelRow("LoomNet (\((model as NSString).lastPathComponent))", (config, weights)),
        ] + extra.map(extraRow)
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
        if rows.contains(where: { $0.metrics.intervals?.isEmpty == false }) {
            lines.append("")
            lines.append(pad("95% bootstrap intervals", width) + " " + ["AUC", "MRR", "R@1", "R@5", "R@10", "FITB"].map { pad($0, 11) }.joined(separator: " ")
                .trimmingCharacters(in: .whitespaces))
            for row in rows {
                let intervals = row.metrics.intervals ?? [:]
                let cells = row.metrics.named.map { name, _ in
                    intervals[name].map { String(format: "%.3f–%.3f", $0[0], $0[1]) } ?? "          -"
                }
                lines.append(pad(row.name, width) + " " + cells.joined(separator: " "))
            }
            lines.append("(\(bootstrapResamples) resamples of the split's anchors with replacement, the same for every row)")
        }
        for row in rows {
            guard let health = row.health else { continue }
            lines.append(String(format: "health of %@: %d of %d components hold 90%% of the variance; cosine of random pairs median %.3f, p99 %.3f; of true pairs median %@",
                                row.name, health.effectiveDimensions, health.dimensions, Double(health.randomMedian), Double(health.randomP99),
                                health.trueMedian.map { String(format: "%.3f", Double($0)) } ?? "-"))
        }
        return lines.joined(separator: "\n")
    }
}
