import LoomCore
import LoomFormats

/// Settings of the ingest stage (`stages.ingest` in a pipeline file).
public struct IngestSettings: StageSettings {
    public static let pathKeys: Set<String> = ["catalog", "images"]
    /// Catalog files, read in this order (item ids follow it): .json, .jsonl, JSON arrays, 2014
    /// loose lines, any of them gzip-compressed.
    public var catalog: [String]
    /// Folders searched for `<asin>.jpg|.jpeg|.png` or the image URL's file name, in this order.
    public var images: [String]
    public var maxRejectRatio: Double
    /// Coarse-type rules; nil means `CoarseTypeRule.defaults`.
    public var types: [CoarseTypeRule]?
    /// Category elements too general to decide a type; nil means the defaults.
    public var ignoredCategories: [String]?

    public static let defaults = IngestSettings(catalog: [], images: [])

    public init(catalog: [String], images: [String], maxRejectRatio: Double = 0.05, types: [CoarseTypeRule]? = nil,
                ignoredCategories: [String]? = nil) {
        self.catalog = catalog
        self.images = images
        self.maxRejectRatio = maxRejectRatio
        self.types = types
        self.ignoredCategories = ignoredCategories
    }

    enum CodingKeys: String, CodingKey {
        case catalog, images, types
        case maxRejectRatio = "max_reject_ratio"
        case ignoredCategories = "ignored_categories"
    }

    /// Checks what Codable cannot: a catalog to read, a sane ratio, known types.
    func validate() throws {
        guard !catalog.isEmpty else {
            throw LoomError.usage("ingest needs at least one catalog file", key: "catalog")
        }
        guard (0...1).contains(maxRejectRatio) else {
            throw LoomError.usage("max_reject_ratio must be between 0 and 1, got \(maxRejectRatio)", key: "max_reject_ratio")
        }
        for rule in types ?? [] where !CoarseTypeRule.knownTypes.contains(rule.type) {
            throw LoomError.usage(CoarseType.unknown(rule.type), key: "types")
        }
    }
}
