import LoomFormats
import Testing
@testable import LoomTrain

/// The metrics on a hand-made split where the right answers are known.
@Suite struct RankingMetricsTests {
    /// Items 0-1 tops, 2-5 bottoms, 6-9 shoes. Test pairs: top 0 goes with bottom 2 (negatives
    /// 3, 4) and shoes 6 (negative 7); top 1 goes with bottom 5 (negative 2).
    static func data() -> TrainingData {
        var data = TrainingData()
        data.types = ["top", "top", "bottom", "bottom", "bottom", "bottom", "shoes", "shoes", "shoes", "shoes"]
        data.ids = data.types.indices.map { Int64($0) }
        data.asins = data.types.indices.map { "A\($0)" }
        data.splits = [ItemSplit.Part](repeating: .test, count: data.types.count)
        data.visual = [[Float]?](repeating: nil, count: data.types.count)
        data.tokens = [[Int32]](repeating: [], count: data.types.count)
        data.positives[.test] = [
            .init(anchor: 0, positive: 2, weight: 1, negatives: [3, 4]),
            .init(anchor: 0, positive: 6, weight: 1, negatives: [7]),
            .init(anchor: 1, positive: 5, weight: 1, negatives: [2]),
        ]
        data.questions = [.init(anchor: 0, answer: 2, candidates: [3, 2, 4, 5])]
        return data
    }

    static let truth: Set<[Int]> = [[0, 2], [0, 6], [1, 5]]

    @Test func perfectScorerGetsEverythingRight() {
        let metrics = RankingMetrics.compute(Self.data(), split: .test) { a, b in Self.truth.contains([a, b]) ? 1 : 0 }
        #expect(metrics.auc == 1 && metrics.mrr == 1 && metrics.recallAt1 == 1 && metrics.fitb == 1)
        #expect(metrics.triplets == 4 && metrics.pairs == 3 && metrics.questions == 1)
    }

    @Test func constantScorerSitsAtChance() {
        let metrics = RankingMetrics.compute(Self.data(), split: .test) { _, _ in 0.5 }
        #expect(metrics.auc == 0.5)
        #expect(abs(metrics.fitb - 0.25) < 1e-12, "one of four candidates")
        // Bottom 2 among bottoms 2-5 (4 candidates): expected 1/rank = (1 + 1/2 + 1/3 + 1/4) / 4; shoes the same; bottom 5 too.
        let expected = (1 + 0.5 + 1.0 / 3 + 0.25) / 4
        #expect(abs(metrics.mrr - expected) < 1e-12)
        #expect(abs(metrics.recallAt1 - 0.25) < 1e-12)
        #expect(metrics.recallAt5 == 1)
    }

    @Test func reversedScorerGetsEverythingWrong() {
        let metrics = RankingMetrics.compute(Self.data(), split: .test) { a, b in Self.truth.contains([a, b]) ? 0 : 1 }
        #expect(metrics.auc == 0 && metrics.fitb == 0 && metrics.recallAt1 == 0)
        #expect(abs(metrics.mrr - 0.25) < 1e-12, "last of four")
    }

    @Test func baselinesAreDeterministicAndPopularityCountsTrainingPairs() {
        var data = Self.data()
        data.positives[.train] = [.init(anchor: 0, positive: 3, weight: 1, negatives: []), .init(anchor: 1, positive: 3, weight: 1, negatives: [])]
        let popularity = Scorers.popularity(data)
        #expect(popularity(0, 3) == 2 && popularity(0, 2) == 0 && popularity(1, 0) == 1)
        let random = Scorers.random(seed: 9)
        #expect(random(0, 2) == Scorers.random(seed: 9)(0, 2) && random(0, 2) != random(2, 0))
        data.tokens = [[101, 7, 8, 102], [101, 7, 9, 102], [101, 5, 102], [], [], [], [], [], [], []]
        let tfidf = Scorers.tfidf(data)
        #expect(abs(tfidf(0, 0) - 1) < 1e-12)
        #expect(tfidf(0, 1) > tfidf(0, 2) && tfidf(0, 2) > 0 && tfidf(0, 3) == 0)
    }
}
