/// One item as ingest stores it, after aliases are resolved and text is cleaned.
struct CatalogItem: Sendable, Equatable {
    var asin: String
    var title: String?
    var description: String?
    var brand: String?
    var price: Double?
    /// The best category path, most general first, as stored (`Clothing, Shoes & Jewelry >
    /// Women > …`); nil when the record has none.
    var category: String?
    var type: String
    /// The catalog's first image URL, and the file it resolved to (nil when not found).
    var imageURL: String?
    var image: String?
    var alsoBought: [String]
    var boughtTogether: [String]
    var alsoViewed: [String]
}
