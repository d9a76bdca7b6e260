/// The global orthogonal regulariser of Zhang et al. (ICCV 2017, "Learning Spread-out Local
/// Feature Descriptors"): over the batch's (anchor, negative) pairs, with s their cosines,
/// M₁ = mean(s) and M₂ = mean(s²), it adds M₁² + max(0, M₂ − 1/dim). Unit vectors drawn
/// uniformly from the sphere have M₁ = 0 and M₂ = 1/dim, so it pulls unrelated items apart and
/// keeps the space from squeezing into a few directions, which the ranking loss alone allows.
enum SpreadOutRegularizer {
    /// The regulariser's value; adds `weight` × its gradient to `gradient` (`dim` floats per
    /// batch row). Sums run in triplet order, in Double.
    static func evaluate(_ triplets: [TripletLoss.Triplet], embeddings: UnsafePointer<Float>, dim: Int, weight: Double,
                         gradient: UnsafeMutablePointer<Float>) -> Double {
        guard !triplets.isEmpty, weight > 0 else { return 0 }
        let count = Double(triplets.count)
        var cosines: [Double] = []
        cosines.reserveCapacity(triplets.count)
        for triplet in triplets {
            let a = embeddings + triplet.anchor * dim, n = embeddings + triplet.negative * dim
            var sum: Double = 0
            for i in 0..<dim { sum += Double(a[i]) * Double(n[i]) }
            cosines.append(sum)
        }
        let first = cosines.reduce(0, +) / count
        let second = cosines.reduce(0) { $0 + $1 * $1 } / count
        let excess = second - 1 / Double(dim)
        let value = first * first + max(0, excess)
        for (triplet, cosine) in zip(triplets, cosines) {
            // d/ds of M₁² is 2·M₁/N; of the hinge on M₂, 2·s/N while it is active.
            let ds = Float(weight * (2 * first / count + (excess > 0 ? 2 * cosine / count : 0)))
            let a = embeddings + triplet.anchor * dim, n = embeddings + triplet.negative * dim
            let da = gradient + triplet.anchor * dim, dn = gradient + triplet.negative * dim
            for i in 0..<dim {
                da[i] += ds * n[i]
                dn[i] += ds * a[i]
            }
        }
        return value
    }
}
