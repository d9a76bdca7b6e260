import Foundation
import LoomCore
import LoomInference

/// Item-pair scorers: the model's and the baselines' answer to "how well does b go with a".
public enum Scorers {
    /// A seeded pseudo-random score per ordered pair (chance level).
    public static func random(seed: UInt64) -> (Int, Int) -> Double {
        { a, b in
            var x = seed &+ UInt64(a) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(b) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((x ^ (x >> 31)) >> 11) / Double(1 << 53)
        }
    }

    /// How often b is a positive (either side) among the training pairs: "people buy popular items".
    public static func popularity(_ data: TrainingData) -> (Int, Int) -> Double {
        var counts = [Double](repeating: 0, count: data.count)
        for positive in data.positives[.train] ?? [] {
            counts[positive.anchor] += 1
            counts[positive.positive] += 1
        }
        return { _, b in counts[b] }
    }

    /// Cosine of unit rows (`dim` floats per item; an all-zero row scores 0 with everything).
    public static func cosine(_ rows: [Float], dim: Int) -> (Int, Int) -> Double {
        { a, b in
            var sum: Float = 0
            for i in 0..<dim { sum += rows[a * dim + i] * rows[b * dim + i] }
            return Double(sum)
        }
    }

    /// Type-aware: Σ wᵢ·aᵢ·bᵢ over unit rows, w the `TypePairWeights` row of the items' types
    /// (`types[item]`: an index among `typeCount`, or −1 for a type without weights: the cosine).
    public static func typePairs(_ rows: [Float], dim: Int, types: [Int], typeCount: Int, weights: [Float]) -> (Int, Int) -> Double {
        { a, b in
            var sum: Float = 0
            guard types[a] >= 0, types[b] >= 0 else {
                for i in 0..<dim { sum += rows[a * dim + i] * rows[b * dim + i] }
                return Double(sum)
            }
            let w = TypePairWeights.row(types[a], types[b], types: typeCount) * dim
            for i in 0..<dim { sum += weights[w + i] * rows[a * dim + i] * rows[b * dim + i] }
            return Double(sum)
        }
    }

    /// Image only: cosine of the pretrained backbone's pooled features.
    public static func image(_ data: TrainingData) -> (Int, Int) -> Double {
        let dim = (0..<data.count).lazy.compactMap { data.features(of: $0) }.first?.count ?? 1
        var rows = [Float](repeating: 0, count: data.count * dim)
        for item in 0..<data.count {
            guard let features = data.features(of: item) else { continue }
            let norm = features.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            for i in 0..<dim { rows[item * dim + i] = features[i] / norm }
        }
        return cosine(rows, dim: dim)
    }

    /// Text only: cosine of TF-IDF vectors of the token ids (idf = ln((1+N)/(1+df)) + 1, as
    /// scikit-learn's smoothed default), [CLS]/[SEP]-style ids included like any other.
    public static func tfidf(_ data: TrainingData) -> (Int, Int) -> Double {
        var documentFrequency: [Int32: Double] = [:]
        for tokens in data.tokens { for token in Set(tokens) { documentFrequency[token, default: 0] += 1 } }
        let n = Double(data.count)
        // Sorted (token, weight) lists: sums run in token order (a dictionary's order changes per process).
        let vectors: [[(token: Int32, weight: Double)]] = data.tokens.map { tokens in
            var counts: [Int32: Double] = [:]
            for token in tokens { counts[token, default: 0] += 1 }
            let weighted = counts.keys.sorted().map { token in
                (token: token, weight: counts[token]! * (log((1 + n) / (1 + documentFrequency[token]!)) + 1))
            }
            let norm = weighted.reduce(0) { $0 + $1.weight * $1.weight }.squareRoot()
            return norm > 0 ? weighted.map { (token: $0.token, weight: $0.weight / norm) } : []
        }
        return { a, b in
            let x = vectors[a], y = vectors[b]
            var i = 0, j = 0, sum = 0.0
            while i < x.count, j < y.count {
                if x[i].token == y[j].token {
                    sum += x[i].weight * y[j].weight
                    i += 1
                    j += 1
                } else if x[i].token < y[j].token { i += 1 } else { j += 1 }
            }
            return sum
        }
    }
}
