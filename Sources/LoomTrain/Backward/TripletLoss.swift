/// The weighted triplet ranking loss of Sun et al. 2020 over unit embeddings:
/// Σ w·max(0, margin − cos(a, p) + cos(a, n)) / Σ w over the batch.
public enum TripletLoss {
    public struct Triplet: Sendable, Equatable {
        /// Rows of the batch's embeddings.
        public var anchor: Int
        public var positive: Int
        public var negative: Int
        public var weight: Float
        public init(anchor: Int, positive: Int, negative: Int, weight: Float) {
            self.anchor = anchor
            self.positive = positive
            self.negative = negative
            self.weight = weight
        }
    }

    /// The loss, and dL/d(embeddings) in `gradient` (`rows` × `dim`, overwritten). Sums run in
    /// triplet order, in Double.
    public static func evaluate(_ triplets: [Triplet], embeddings: UnsafePointer<Float>, rows: Int, dim: Int, margin: Float,
                                gradient: UnsafeMutablePointer<Float>) -> Double {
        gradient.initialize(repeating: 0, count: rows * dim)
        let totalWeight = triplets.reduce(0.0) { $0 + Double($1.weight) }
        guard totalWeight > 0 else { return 0 }
        var loss: Double = 0
        for triplet in triplets {
            let a = embeddings + triplet.anchor * dim, p = embeddings + triplet.positive * dim, n = embeddings + triplet.negative * dim
            var positive: Double = 0, negative: Double = 0
            for i in 0..<dim {
                positive += Double(a[i]) * Double(p[i])
                negative += Double(a[i]) * Double(n[i])
            }
            let hinge = Double(margin) - positive + negative
            guard hinge > 0 else { continue }
            let scale = Double(triplet.weight) / totalWeight
            loss += scale * hinge
            let s = Float(scale)
            let da = gradient + triplet.anchor * dim, dp = gradient + triplet.positive * dim, dn = gradient + triplet.negative * dim
            for i in 0..<dim {
                da[i] += s * (n[i] - p[i])
                dp[i] -= s * a[i]
                dn[i] += s * a[i]
            }
        }
        return loss
    }
}
