import LoomInference

/// The triplet ranking loss on type-aware scores (`TypePairWeights`): s(a, b) = Σ wᵢ·aᵢ·bᵢ with
/// w the weights of the pair (type of a, type of b), so each pair of types learns which
/// dimensions matter to it. Σ weight·max(0, margin − s(a, p) + s(a, n)) / Σ weight.
enum TypedTripletLoss {
    /// The loss; adds `share` × dL/d(embeddings) to `gradient` and `share` × dL/dw to
    /// `weightGradient` (laid out as the weights). `types[row]` is the type index of each batch
    /// row. Sums run in triplet order, in Double.
    static func evaluate(_ triplets: [TripletLoss.Triplet], embeddings: UnsafePointer<Float>, types: [Int], typeCount: Int, dim: Int,
                         margin: Float, weights: UnsafePointer<Float>, share: Float, gradient: UnsafeMutablePointer<Float>,
                         weightGradient: UnsafeMutablePointer<Float>) -> Double {
        let totalWeight = triplets.reduce(0.0) { $0 + Double($1.weight) }
        guard totalWeight > 0 else { return 0 }
        var loss: Double = 0
        for triplet in triplets {
            let a = embeddings + triplet.anchor * dim, p = embeddings + triplet.positive * dim, n = embeddings + triplet.negative * dim
            let positiveRow = TypePairWeights.row(types[triplet.anchor], types[triplet.positive], types: typeCount) * dim
            let negativeRow = TypePairWeights.row(types[triplet.anchor], types[triplet.negative], types: typeCount) * dim
            let wp = weights + positiveRow, wn = weights + negativeRow
            var positive: Double = 0, negative: Double = 0
            for i in 0..<dim {
                positive += Double(wp[i]) * Double(a[i]) * Double(p[i])
                negative += Double(wn[i]) * Double(a[i]) * Double(n[i])
            }
            let hinge = Double(margin) - positive + negative
            guard hinge > 0 else { continue }
            let scale = Double(triplet.weight) / totalWeight
            loss += scale * hinge
            let s = Float(scale) * share
            let da = gradient + triplet.anchor * dim, dp = gradient + triplet.positive * dim, dn = gradient + triplet.negative * dim
            let dwp = weightGradient + positiveRow, dwn = weightGradient + negativeRow
            for i in 0..<dim {
                da[i] += s * (wn[i] * n[i] - wp[i] * p[i])
                dp[i] -= s * wp[i] * a[i]
                dn[i] += s * wn[i] * a[i]
                dwp[i] -= s * a[i] * p[i]
                dwn[i] += s * a[i] * n[i]
            }
        }
        return loss
    }

    /// Keeps each pair's weights a re-weighting of the cosine: negatives to 0, then the row
    /// scaled to mean 1 (a row that fell to all zeros starts over at ones).
    static func project(_ weights: UnsafeMutablePointer<Float>, rows: Int, dim: Int) {
        for row in 0..<rows {
            let w = weights + row * dim
            var sum: Double = 0
            for i in 0..<dim {
                w[i] = max(0, w[i])
                sum += Double(w[i])
            }
            let scale = sum > 0 ? Float(Double(dim) / sum) : 0
            for i in 0..<dim { w[i] = sum > 0 ? w[i] * scale : 1 }
        }
    }
}
