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

    enum CodingKeys: String, CodingKey {
        case auc, mrr, fitb, triplets, pairs, questions
        case recallAt1 = "recall_at_1", recallAt5 = "recall_at_5", recallAt10 = "recall_at_10"
    }

    /// `score(a, b)`: how well item b goes with item a (higher is better).
    public static func compute(_ data: TrainingData, split: ItemSplit.Part, score: (Int, Int) -> Double) -> RankingMetrics {
        let positives = data.positives[split] ?? []
        var reciprocal = 0.0, hits = [0.0, 0.0, 0.0]
        var byType: [String: [Int]] = [:]
        for item in 0..<data.count { byType[data.types[item], default: []].append(item) }
        for positive in positives {
            let truth = score(positive.anchor, positive.positive)
            var above = 0.0, tied = 0.0
            for candidate in byType[data.types[positive.positive]] ?? []
            where candidate != positive.positive && candidate != positive.anchor {
                let other = score(positive.anchor, candidate)
                if other > truth { above += 1 } else if other == truth { tied += 1 }
            }
            // Expected rank when ties fall in random order; Recall@k as the chance of rank ≤ k.
            reciprocal += expectedReciprocalRank(above: Int(above), tied: Int(tied))
            for (slot, k) in [1, 5, 10].enumerated() { hits[slot] += chanceWithin(k, above: Int(above), tied: Int(tied)) }
        }
        let questions = data.questions.filter { data.splits[$0.anchor] == split }
        var correct = 0.0
        for question in questions {
            let scores = question.candidates.map { score(question.anchor, $0) }
            let best = scores.max() ?? 0
            let answer = score(question.anchor, question.answer)
            if answer == best { correct += 1 / Double(scores.filter { $0 == best }.count) }
        }
        let pairs = positives.count
        return RankingMetrics(
            auc: auc(positives, score: score), mrr: pairs > 0 ? reciprocal / Double(pairs) : 0,
            recallAt1: pairs > 0 ? hits[0] / Double(pairs) : 0, recallAt5: pairs > 0 ? hits[1] / Double(pairs) : 0,
            recallAt10: pairs > 0 ? hits[2] / Double(pairs) : 0,
            fitb: questions.isEmpty ? 0 : correct / Double(questions.count),
            triplets: positives.reduce(0) { $0 + $1.negatives.count }, pairs: pairs, questions: questions.count)
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
