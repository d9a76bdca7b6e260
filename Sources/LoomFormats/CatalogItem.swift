/// A row of `catalog.sqlite`'s `items` as later stages read it (the text fields already cleaned
/// of HTML by ingest).
public struct CatalogItem: Sendable {
    public var id: Int64
    public var asin: String
    public var title: String?
    public var description: String?
    public var brand: String?
    /// The category path, joined by ` > `.
    public var category: String?
    /// A `CoarseType` name.
    public var type: String
    /// The image file ingest resolved, or nil.
    public var image: String?

    public init(id: Int64, asin: String, title: String? = nil, description: String? = nil, brand: String? = nil,
                category: String? = nil, type: String = CoarseType.other.rawValue, image: String? = nil) {
        self.id = id
        self.asin = asin
        self.title = title
        self.description = description
        self.brand = brand
        self.category = category
        self.type = type
        self.image = image
    }

    /// The given text fields that are present and not empty, joined by a space.
    public func text(_ fields: [TextField]) -> String {
        fields.compactMap { field -> String? in
            switch field {
            case .title: title
            case .description: description
            case .brand: brand
            case .category: category
            }
        }.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
