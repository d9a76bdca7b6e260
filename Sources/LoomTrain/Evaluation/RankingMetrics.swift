import LoomCore
import LoomFormats
/// The compatibility metrics of the outfit literature, computed the same way for every scorer:
/// AUC over (anchor, positive) versus (anchor, negative) scores; MRR and Recall@1/5/10 ranking
/// each true partner among all items of its type; fill-in-the-blank accuracy.
/// Ties count half (AUC) or are broken at random in expectation (ranks, FITB), so a scorer that
/// gives everything the same score lands at chance, not above it.
public struct RankingMetrics: Codable, Sendable, Equatable {
    public var auc: Double
    public var mrr: Double
    public var recallAt1: Double
    public var recallAt5: Double
    public var recallAt10: Double
    public var fitb: Double
    public var triplets: Int
    public var pairs: Int
    public var questions: Int
    /// 95% bootstrap intervals, [low, high] by metric name (`auc`, `mrr`, `recall_at_1` …):
    /// the anchors of the split resampled with replacement (`Contributions.intervals`).
    public var intervals: [String: [Double]]?

    enum CodingKeys: String, CodingKey {
        case auc, mrr, fitb, triplets, pairs, questions, intervals
        case recallAt1 = "recall_at_1", recallAt5 = "recall_at_5", recallAt10 = "recall_at_10"
    }

    /// The metric names in table order, with their values.
    public var named: [(String, Double)] {
        [("auc", auc), ("mrr", mrr), ("recall_at_1", recallAt1), ("recall_at_5", recallAt5), ("recall_at_10", recallAt10), ("fitb", fitb)]
    }

    /// `score(a, b)`: how well item b goes with item a (higher is better). With `bootstrap`
    /// resamples (seeded by `seed`), each metric also gets its 95% interval.
    public static func compute(_ data: TrainingData, split: ItemSplit.Part, bootstrap: Int = 0, seed: UInt64 = 1,
                               score: (Int, Int) -> Double) -> RankingMetrics {
        let parts = Contributions(data, split: split, score: score)
        var metrics = parts.metrics(weights: nil)
        if bootstrap > 0 { metrics.intervals = parts.intervals(resamples: bootstrap, seed: seed) }
        return metrics
    }

    /// AUC alone, over the pairs of `positives` (validation after each epoch).
    public static func auc(_ positives: [TrainingData.Positive], score: (Int, Int) -> Double) -> Double {
        var wins = 0.0, comparisons = 0
        for positive in positives {
            let truth = score(positive.anchor, positive.positive)
            for negative in positive.negatives {
                let other = score(positive.anchor, negative)
                wins += truth > other ? 1 : truth == other ? 0.5 : 0
                comparisons += 1
            }
        }
        return comparisons > 0 ? wins / Double(comparisons) : 0
    }

    /// What each held-out pair and FITB question adds to the metrics, by anchor: the metrics are
    /// their sums over any (re)sample of anchors.
    struct Contributions {
        var pairAnchors: [Int] = []
        var reciprocal: [Double] = []
        var hits: [[Double]] = []          // Recall@1, @5, @10 chances per pair
        var wins: [Double] = []            // AUC: triplets won (ties half) per pair
        var comparisons: [Double] = []
        var questionAnchors: [Int] = []
        var correct: [Double] = []

        init(_ data: TrainingData, split: ItemSplit.Part, score: (Int, Int) -> Double) {
            var byType: [String: [Int]] = [:]
            for item in 0..<data.count { byType[data.types[item], default: []].append(item) }
            for positive in data.positives[split] ?? [] {
                let truth = score(positive.anchor, positive.positive)
                var above = 0, tied = 0
                for candidate in byType[data.types[positive.positive]] ?? []
                where candidate != positive.positive && candidate != positive.anchor {
                    let other = score(positive.anchor, candidate)
                    if other > truth { above += 1 } else if other == truth { tied += 1 }
                }
                pairAnchors.append(positive.anchor)
                // Expected rank when ties fall in random order; Recall@k as the chance of rank ≤ k.
                reciprocal.append(expectedReciprocalRank(above: above, tied: tied))
                hits.append([1, 5, 10].map { chanceWithin($0, above: above, tied: tied) })
                var won = 0.0
                for negative in positive.negatives {
                    let other = score(positive.anchor, negative)
                    won += truth > other ? 1 : truth == other ? 0.5 : 0
                }
                wins.append(won)
                comparisons.append(Double(positive.negatives.count))
            }
            for question in data.questions where data.splits[question.anchor] == split {
                let scores = question.candidates.map { score(question.anchor, $0) }
                let best = scores.max() ?? 0
                let answer = score(question.anchor, question.answer)
                questionAnchors.append(question.anchor)
                correct.append(answer == best ? 1 / Double(scores.filter { $0 == best }.count) : 0)
            }
        }

        /// The metrics with each anchor counted `weights[anchor]` times (nil: once each).
        func metrics(weights: [Int: Double]?) -> RankingMetrics {
            func weight(_ anchor: Int) -> Double { weights.map { $0[anchor] ?? 0 } ?? 1 }
            var pairs = 0.0, reciprocalSum = 0.0, hitSums = [0.0, 0.0, 0.0], won = 0.0, compared = 0.0
            for index in pairAnchors.indices {
                let w = weight(pairAnchors[index])
                guard w > 0 else { continue }
                pairs += w
                reciprocalSum += w * reciprocal[index]
                for slot in 0..<3 { hitSums[slot] += w * hits[index][slot] }
                won += w * wins[index]
                compared += w * comparisons[index]
            }
            var asked = 0.0, right = 0.0
            for index in questionAnchors.indices {
                let w = weight(questionAnchors[index])
                asked += w
                right += w * correct[index]
            }
            func ratio(_ a: Double, _ b: Double) -> Double { b > 0 ? a / b : 0 }
            return RankingMetrics(
                auc: ratio(won, compared), mrr: ratio(reciprocalSum, pairs), recallAt1: ratio(hitSums[0], pairs),
                recallAt5: ratio(hitSums[1], pairs), recallAt10: ratio(hitSums[2], pairs), fitb: ratio(right, asked),
                triplets: Int(comparisons.reduce(0, +)), pairs: pairAnchors.count, questions: questionAnchors.count)
        }

        /// 95% percentile intervals over `resamples` draws of the split's anchors with
        /// replacement (as many as there are), the same draws for every scorer with the same seed.
        func intervals(resamples: Int, seed: UInt64) -> [String: [Double]] {
            let anchors = Array(Set(pairAnchors + questionAnchors)).sorted()
            guard !anchors.isEmpty else { return [:] }
            var random = SeededRandom(seed: seed, key: "bootstrap")
            var samples: [String: [Double]] = [:]
            for _ in 0..<resamples {
                var weights: [Int: Double] = [:]
                for _ in anchors.indices { weights[anchors[Int(random.next() % UInt64(anchors.count))], default: 0] += 1 }
                // A draw without any pair (or any question) says nothing about those metrics.
                let drawnPairs = pairAnchors.contains { weights[$0] != nil }, drawnQuestions = questionAnchors.contains { weights[$0] != nil }
                for (name, value) in metrics(weights: weights).named where name == "fitb" ? drawnQuestions : drawnPairs {
                    samples[name, default: []].append(value)
                }
            }
            return samples.mapValues { values in
                let sorted = values.sorted()
                return [sorted[Int(0.025 * Double(sorted.count - 1))], sorted[Int((0.975 * Double(sorted.count - 1)).rounded(.up))]]
            }
        }
    }

    /// Mean of 1/rank over the tie's positions (rank above+1 … above+tied+1, equally likely).
    static func expectedReciprocalRank(above: Int, tied: Int) -> Double {
        (0...tied).reduce(0.0) { $0 + 1 / Double(above + 1 + $1) } / Double(tied + 1)
    }

    static func chanceWithin(_ k: Int, above: Int, tied: Int) -> Double {
        let slots = k - above
        guard slots > 0 else { return 0 }
        return min(1, Double(slots) / Double(tied + 1))
    }
}
