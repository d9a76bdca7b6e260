import LoomCore
import LoomKernels

/// How well an embedding uses its space: the principal components that hold 90% of the vectors'
/// variance (of up to 5,000 of them, evenly spread), the cosines of seeded random pairs (median
/// and 99th percentile: a squeezed space scores everything alike) and of true pairs (median).
public struct EmbeddingHealth: Codable, Sendable, Equatable {
    public var effectiveDimensions: Int
    public var dimensions: Int
    public var randomPairs: Int
    public var randomMedian: Float
    public var randomP99: Float
    public var truePairs: Int
    public var trueMedian: Float?

    enum CodingKeys: String, CodingKey {
        case dimensions
        case effectiveDimensions = "effective_dimensions"
        case randomPairs = "random_pairs", randomMedian = "random_median", randomP99 = "random_p99"
        case truePairs = "true_pairs", trueMedian = "true_median"
    }

    /// `vector(i)` is row i of `count` vectors of `dim` floats; `pairs` the true pairs to score.
    /// Nil for fewer than two vectors.
    public static func measure(count: Int, dim: Int, pairs: [(Int, Int)], randomPairs: Int = 2_000, seed: UInt64 = 1,
                               vector: (Int) -> [Float]) -> EmbeddingHealth? {
        guard count >= 2 else { return nil }
        func cosine(_ a: Int, _ b: Int) -> Float {
            let x = vector(a), y = vector(b)
            var dot: Float = 0, xx: Float = 0, yy: Float = 0
            for i in 0..<x.count {
                dot += x[i] * y[i]
                xx += x[i] * x[i]
                yy += y[i] * y[i]
            }
            return xx > 0 && yy > 0 ? dot / (xx.squareRoot() * yy.squareRoot()) : 0
        }
        var random = SeededRandom(seed: seed)
        var scores: [Float] = []
        while scores.count < randomPairs {
            let a = Int(random.next() % UInt64(count)), b = Int(random.next() % UInt64(count))
            if a != b { scores.append(cosine(a, b)) }
        }
        scores.sort()
        let trueScores = pairs.map { cosine($0.0, $0.1) }.sorted()
        let sample = min(count, 5_000)
        let rows = (0..<sample).flatMap { vector($0 * count / sample) }
        return EmbeddingHealth(
            effectiveDimensions: PrincipalComponents.count(explaining: 0.9, rows: rows, dim: dim), dimensions: dim,
            randomPairs: scores.count, randomMedian: scores[scores.count / 2], randomP99: scores[min(scores.count - 1, scores.count * 99 / 100)],
            truePairs: trueScores.count, trueMedian: trueScores.isEmpty ? nil : trueScores[trueScores.count / 2])
    }
}
