import LoomFormats

/// One rule of the coarse-type mapping, as written in a pipeline file:
///
/// ```yaml
/// types:
///   - {type: shoes, categories: [Shoes, Boots, Sneakers], title_words: [sneakers, boots, shoes]}
/// ```
/// `categories` match whole words of a category element, case-insensitively; `title_words`
/// match whole words of the title.
public struct CoarseTypeRule: Codable, Sendable, Equatable {
    public var type: String
    public var categories: [String]
    public var titleWords: [String]

    public init(type: String, categories: [String], titleWords: [String]) {
        self.type = type
        self.categories = categories
        self.titleWords = titleWords
    }

    enum CodingKeys: String, CodingKey {
        case type, categories
        case titleWords = "title_words"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        categories = try container.decodeIfPresent([String].self, forKey: .categories) ?? []
        titleWords = try container.decodeIfPresent([String].self, forKey: .titleWords) ?? []
    }

    /// The coarse types later stages know.
    public static let knownTypes = CoarseType.names

    /// Defaults for Amazon's "Clothing, Shoes & Jewelry" tree. Order matters: the first rule that
    /// matches the most specific category wins ("Dress Pants" is a bottom, not a dress).
    public static let defaults: [CoarseTypeRule] = [
        CoarseTypeRule(type: "shoes",
                       categories: ["shoes", "boots", "sneakers", "fashion sneakers", "sandals", "pumps", "heels", "loafers", "flats", "slippers", "oxfords", "mules", "clogs"],
                       titleWords: ["shoes", "shoe", "boots", "boot", "sneakers", "sneaker", "sandals", "sandal", "pumps", "heels", "loafers", "flats", "slippers", "oxfords", "mules", "clogs", "booties"]),
        CoarseTypeRule(type: "bag",
                       categories: ["handbags", "bags", "totes", "backpacks", "wallets", "clutches", "crossbody bags", "shoulder bags", "satchels", "luggage"],
                       titleWords: ["bag", "bags", "tote", "totes", "backpack", "purse", "handbag", "handbags", "wallet", "clutch", "satchel"]),
        CoarseTypeRule(type: "bottom",
                       categories: ["pants", "jeans", "shorts", "skirts", "leggings", "trousers", "dress pants", "capris"],
                       titleWords: ["pants", "jeans", "shorts", "skirt", "skirts", "leggings", "trousers", "chinos", "joggers", "capris", "sweatpants"]),
        CoarseTypeRule(type: "dress",
                       categories: ["dresses", "jumpsuits", "rompers", "jumpsuits, rompers & overalls"],
                       titleWords: ["dress", "dresses", "jumpsuit", "romper", "gown"]),
        CoarseTypeRule(type: "outerwear",
                       categories: ["coats", "jackets", "vests", "outerwear", "blazers", "parkas", "coats, jackets & vests", "trench coats"],
                       titleWords: ["jacket", "jackets", "coat", "coats", "parka", "blazer", "vest", "windbreaker", "anorak", "raincoat", "poncho"]),
        CoarseTypeRule(type: "top",
                       categories: ["tops", "tees", "shirts", "blouses", "sweaters", "hoodies", "sweatshirts", "t-shirts", "tanks", "cardigans", "pullovers", "tops, tees & blouses", "polos"],
                       titleWords: ["t-shirt", "tee", "shirt", "blouse", "sweater", "top", "tops", "hoodie", "sweatshirt", "cardigan", "tank", "pullover", "polo", "tunic"]),
        CoarseTypeRule(type: "jewelry",
                       categories: ["jewelry", "necklaces", "earrings", "bracelets", "rings", "pendants", "charms", "anklets"],
                       titleWords: ["necklace", "earrings", "earring", "bracelet", "ring", "pendant", "anklet", "brooch"]),
        CoarseTypeRule(type: "accessory",
                       categories: ["accessories", "hats", "caps", "hats & caps", "scarves", "scarves & wraps", "belts", "sunglasses", "gloves", "watches", "ties", "hair accessories"],
                       titleWords: ["hat", "hats", "cap", "beanie", "scarf", "belt", "sunglasses", "glasses", "gloves", "glove", "watch", "tie", "headband", "socks"]),
    ]

    /// Category elements too general to say anything (the root of the tree contains "Jewelry").
    public static let defaultIgnoredCategories: [String] = [
        "Clothing, Shoes & Jewelry", "Women", "Men", "Girls", "Boys", "Baby", "Clothing", "Novelty & More",
        "Fashion", "AMAZON FASHION", "Amazon Fashion", "Uniforms, Work & Safety", "Costumes & Accessories",
    ]
}
