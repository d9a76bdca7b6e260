import Foundation

/// The in-batch softmax loss (InfoNCE, as in CLIP) over unit embeddings: each training pair
/// (a, p) of the batch scores its positive against every other positive item of the batch and
/// its own sampled negatives, at a learned temperature τ = e^t:
/// L = Σ w·(−s(a,p)/τ + log Σ_c e^{s(a,c)/τ}) / Σ w, c over p and the candidates.
/// Unlike a hinge, every unrelated candidate is pushed away until its score is small next to
/// the partner's, which spreads the space out (what the ranking metrics reward).
/// Candidates that are themselves partners of the anchor in this batch, or the anchor, are left
/// out. Sums run in pair order, in Double.
public enum InfoNCELoss {
    public struct Pair: Sendable, Equatable {
        /// Rows of the batch's embeddings.
        public var anchor: Int
        public var positive: Int
        public var negatives: [Int]
        public var weight: Float
        public init(anchor: Int, positive: Int, negatives: [Int], weight: Float) {
            self.anchor = anchor
            self.positive = positive
            self.negatives = negatives
            self.weight = weight
        }
    }

    /// The temperature's bounds: below 0.01 the softmax is a hard max, above 1 it barely ranks.
    public static let temperatureRange = log(0.01)...log(1.0)

    /// The loss and dL/dt (t = log τ); dL/d(embeddings) in `gradient` (`rows` × `dim`, overwritten).
    public static func evaluate(_ pairs: [Pair], embeddings: UnsafePointer<Float>, rows: Int, dim: Int, logTemperature: Double,
                                gradient: UnsafeMutablePointer<Float>) -> (loss: Double, temperatureGradient: Double) {
        gradient.initialize(repeating: 0, count: rows * dim)
        let totalWeight = pairs.reduce(0.0) { $0 + Double($1.weight) }
        guard totalWeight > 0 else { return (0, 0) }
        let inverseTemperature = exp(-logTemperature)
        // Every positive item of the batch, in first-appearance order; each anchor's partners.
        var positives: [Int] = [], seen = Set<Int>()
        var partners: [Int: Set<Int>] = [:]
        for pair in pairs {
            if seen.insert(pair.positive).inserted { positives.append(pair.positive) }
            partners[pair.anchor, default: []].insert(pair.positive)
        }
        func dot(_ x: Int, _ y: Int) -> Double {
            let a = embeddings + x * dim, b = embeddings + y * dim
            var sum = 0.0
            for i in 0..<dim { sum += Double(a[i]) * Double(b[i]) }
            return sum
        }
        var loss = 0.0, temperatureGradient = 0.0
        for pair in pairs {
            let excluded = partners[pair.anchor] ?? []
            var candidates = [pair.positive]
            var taken: Set<Int> = [pair.positive]
            for item in positives + pair.negatives where item != pair.anchor && !excluded.contains(item) && taken.insert(item).inserted {
                candidates.append(item)
            }
            let scores = candidates.map { dot(pair.anchor, $0) }
            let logits = scores.map { $0 * inverseTemperature }
            let largest = logits.max() ?? 0
            let exponentials = logits.map { exp($0 - largest) }
            let total = exponentials.reduce(0, +)
            let scale = Double(pair.weight) / totalWeight
            loss += scale * (largest + log(total) - logits[0])
            let a = embeddings + pair.anchor * dim, da = gradient + pair.anchor * dim
            for (index, item) in candidates.enumerated() {
                // dL/dlogit = softmax − [the partner]; dlogit/ds = 1/τ; dlogit/dt = −s/τ.
                let coefficient = exponentials[index] / total - (index == 0 ? 1 : 0)
                temperatureGradient -= scale * coefficient * logits[index]
                let s = Float(scale * coefficient * inverseTemperature)
                let c = embeddings + item * dim, dc = gradient + item * dim
                for i in 0..<dim {
                    da[i] += s * c[i]
                    dc[i] += s * a[i]
                }
            }
        }
        return (loss, temperatureGradient)
    }
}
