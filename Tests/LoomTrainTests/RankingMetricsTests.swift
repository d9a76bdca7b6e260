import LoomCore
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

    /// Intervals come from resampled anchors: a scorer right for anchor 1 and wrong for anchor 0
    /// has every metric's point estimate inside its interval, which spans from anchor 0's value
    /// to anchor 1's; weights that pick anchor 1 alone give anchor 1's metrics; same seed, same
    /// intervals; a perfect scorer's intervals are the single point 1.
    @Test func bootstrapIntervalsResampleTheAnchors() {
        let data = Self.data()
        let rightForOne: (Int, Int) -> Double = { a, b in a == 1 ? (Self.truth.contains([a, b]) ? 1 : 0) : (Self.truth.contains([a, b]) ? 0 : 1) }
        let metrics = RankingMetrics.compute(data, split: .test, bootstrap: 400, seed: 3, score: rightForOne)
        let intervals = try! #require(metrics.intervals)
        for (name, value) in metrics.named {
            let interval = try! #require(intervals[name], "\(name)")
            #expect(interval[0] <= value + 1e-12 && value <= interval[1] + 1e-12, "\(name): \(value) outside \(interval)")
        }
        #expect(intervals["auc"] == [0, 1], "all anchor 0 (AUC 0) to all anchor 1 (AUC 1) among 400 draws of two anchors")
        let parts = RankingMetrics.Contributions(data, split: .test, score: rightForOne)
        let onlyOne = parts.metrics(weights: [1: 2])
        #expect(onlyOne.auc == 1 && onlyOne.mrr == 1 && onlyOne.recallAt1 == 1)
        #expect(parts.metrics(weights: nil).auc == metrics.auc)
        #expect(RankingMetrics.compute(data, split: .test, bootstrap: 400, seed: 3, score: rightForOne).intervals == intervals)
        let perfect = RankingMetrics.compute(data, split: .test, bootstrap: 100, seed: 3) { a, b in Self.truth.contains([a, b]) ? 1 : 0 }
        #expect(perfect.intervals?["auc"] == [1, 1] && perfect.intervals?["fitb"] == [1, 1])
    }

    /// Health tells a space that uses its dimensions from one squeezed along a line.
    @Test func healthSeparatesASpreadSpaceFromASqueezedOne() {
        var random = SeededRandom(seed: 5)
        let dim = 32, count = 400
        let spread = (0..<(count * dim)).map { _ in Float(random.unit() * 2 - 1) }
        let squeezed = (0..<count).flatMap { _ in
            let t = Float(random.unit())
            return (0..<dim).map { $0 == 0 ? 1 : Float(0.01) * t }
        }
        let pairs = [(0, 1), (2, 3), (4, 5)]
        let wide = try! #require(EmbeddingHealth.measure(count: count, dim: dim, pairs: pairs) { Array(spread[($0 * dim)..<(($0 + 1) * dim)]) })
        let narrow = try! #require(EmbeddingHealth.measure(count: count, dim: dim, pairs: pairs) { Array(squeezed[($0 * dim)..<(($0 + 1) * dim)]) })
        #expect(wide.effectiveDimensions >= 20 && abs(wide.randomMedian) < 0.1, "\(wide)")
        #expect(narrow.effectiveDimensions == 1 && narrow.randomMedian > 0.99, "\(narrow)")
        #expect(wide.truePairs == 3 && wide.trueMedian != nil && wide.randomPairs == 2_000)
    }
}
