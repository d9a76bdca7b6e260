import LoomCore

/// Type-aware scores (after Vasileva et al., ECCV 2018): one non-negative weight per embedding
/// dimension for each unordered pair of coarse types, so "shoes for a dress" and "a top for a
/// skirt" can lean on different dimensions. The score of a and b is Σ wᵢ·aᵢ·bᵢ over the unit
/// vectors, with w the row of (type of a, type of b); weights of 1 give the plain cosine.
/// Each row has mean 1, so no pair can widen its margins by growing its weights.
///
/// A query for partners of type T multiplies the query vector by its row and searches the plain
/// vectors with it: the index stays a cosine space that any SQL client can read.
public struct TypePairWeights: Sendable, Equatable {
    /// The tensor's name in model.safetensors: `pairCount(types.count)` rows of `dim` floats.
    public static let tensorName = "type_pairs.weight"

    /// The coarse types, sorted; a pair's row follows this order.
    public let types: [String]
    public let dim: Int
    /// Row-major, `Self.pairCount(types.count)` rows.
    public let weights: [Float]

    public init(types: [String], dim: Int, weights: [Float]) {
        precondition(weights.count == Self.pairCount(types.count) * dim, "one row of \(dim) weights per type pair")
        self.types = types
        self.dim = dim
        self.weights = weights
    }

    /// Unordered pairs of `count` types, a type with itself included.
    public static func pairCount(_ count: Int) -> Int { count * (count + 1) / 2 }

    /// The tensor's shape for `count` types: a row of `dim` weights per pair.
    public static func shape(types count: Int, dim: Int) -> [Int] { [pairCount(count), dim] }

    /// The row of the pair of type indices (in either order).
    public static func row(_ a: Int, _ b: Int, types count: Int) -> Int {
        let (low, high) = a <= b ? (a, b) : (b, a)
        return low * count - low * (low - 1) / 2 + (high - low)
    }

    /// The weights of (`a`, `b`), or nil when either type is unknown to the model.
    public func row(_ a: String, _ b: String) -> ArraySlice<Float>? {
        guard let i = types.firstIndex(of: a), let j = types.firstIndex(of: b) else { return nil }
        let start = Self.row(i, j, types: types.count) * dim
        return weights[start..<(start + dim)]
    }
}
