/// One answer of a search: an item id and its cosine score (dot product of unit vectors).
public struct SearchHit: Sendable, Equatable, Codable {
    public var id: Int64
    public var score: Float

    public init(id: Int64, score: Float) {
        self.id = id
        self.score = score
    }

    /// The ranking order: higher score first, ties by lower id — the same answer at any thread
    /// count and in any database order.
    @inline(__always)
    public func ranksBefore(_ other: SearchHit) -> Bool {
        score != other.score ? score > other.score : id < other.id
    }
}
