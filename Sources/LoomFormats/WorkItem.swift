/// One catalog item with what the images and text stages stored for it: what the model reads.
public struct WorkItem: Sendable {
    public var id: Int64
    public var asin: String
    /// Nil when the images stage stored nothing for the item (no file, or a reject).
    public var image: StoredImage?
    /// Nil when the text stage stored nothing for the item.
    public var tokens: [Int32]?

    public init(id: Int64, asin: String, image: StoredImage? = nil, tokens: [Int32]? = nil) {
        self.id = id
        self.asin = asin
        self.image = image
        self.tokens = tokens
    }
}
