/// One catalog item with what the earlier stages stored for it: what the model reads.
public struct WorkItem: Sendable {
    public var id: Int64
    public var asin: String
    /// The pooled backbone features of the item's image (features.sqlite); nil when it has none.
    public var visual: [Float]?
    /// The hash of the stored image those features were computed from (`StoredImage.contentHash`).
    public var imageHash: String?
    /// Nil when the text stage stored nothing for the item.
    public var tokens: [Int32]?

    public init(id: Int64, asin: String, visual: [Float]? = nil, tokens: [Int32]? = nil) {
        self.id = id
        self.asin = asin
        self.visual = visual
        self.tokens = tokens
    }
}
