import Foundation
import LoomCore

/// Maps the fields of any of the three Amazon shapes onto a `CatalogItem`: field aliases,
/// text cleaning, price parsing, category paths, image URLs.
struct RecordExtractor: Sendable {
    /// Every top-level key any shape uses for something ingest keeps; the JSON parser skips the rest.
    static let wantedKeys = WantedKeys([
        "asin", "parent_asin", "title", "description", "brand", "store", "price",
        "categories", "category", "main_cat", "main_category",
        "related", "also_bought", "also_buy", "bought_together", "also_viewed", "also_view",
        "imUrl", "image", "imageURL", "imageURLHighRes", "images",
    ])

    let types: CoarseTypeRules
    let images: ImageResolver
    /// Category fields repeat across a catalog: what each spelling of them gave.
    private let categoryReadings = BoundedMemo<CategoryReading>()

    /// A record's best category path as stored, and the type its paths give (nil: no rule
    /// matched).
    struct CategoryReading: Sendable {
        var path: String?
        var type: String?
    }

    init(types: CoarseTypeRules, images: ImageResolver) {
        self.types = types
        self.images = images
    }

    /// The fields of one record, picked out in one pass (the first occurrence of a key wins).
    struct Fields {
        var asin, parentAsin, title, description, brand, store, price: CatalogValue?
        var categories, category, mainCategory, mainCategory2023, related: CatalogValue?
        var alsoBought, alsoBuy, boughtTogether, alsoViewed, alsoView: CatalogValue?
        var imUrl, image, imageURL, imageURLHighRes, images: CatalogValue?

        /// The keys, by name: one dictionary probe per key, where a `switch` over the names
        /// compared each key with up to 22 string literals (3 % of ingest's time).
        enum Key: String, CaseIterable {
            case asin, parentAsin = "parent_asin", title, description, brand, store, price
            case categories, category, mainCategory = "main_cat", mainCategory2023 = "main_category", related
            case alsoBought = "also_bought", alsoBuy = "also_buy", boughtTogether = "bought_together"
            case alsoViewed = "also_viewed", alsoView = "also_view"
            case imUrl, image, imageURL, imageURLHighRes, images

            static let byName = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
        }

        init(_ pairs: [(String, CatalogValue)]) {
            for (name, value) in pairs {
                switch Key.byName[name] {
                case .asin?: if asin == nil { asin = value }
                case .parentAsin?: if parentAsin == nil { parentAsin = value }
                case .title?: if title == nil { title = value }
                case .description?: if description == nil { description = value }
                case .brand?: if brand == nil { brand = value }
                case .store?: if store == nil { store = value }
                case .price?: if price == nil { price = value }
                case .categories?: if categories == nil { categories = value }
                case .category?: if category == nil { category = value }
                case .mainCategory?: if mainCategory == nil { mainCategory = value }
                case .mainCategory2023?: if mainCategory2023 == nil { mainCategory2023 = value }
                case .related?: if related == nil { related = value }
                case .alsoBought?: if alsoBought == nil { alsoBought = value }
                case .alsoBuy?: if alsoBuy == nil { alsoBuy = value }
                case .boughtTogether?: if boughtTogether == nil { boughtTogether = value }
                case .alsoViewed?: if alsoViewed == nil { alsoViewed = value }
                case .alsoView?: if alsoView == nil { alsoView = value }
                case .imUrl?: if imUrl == nil { imUrl = value }
                case .image?: if image == nil { image = value }
                case .imageURL?: if imageURL == nil { imageURL = value }
                case .imageURLHighRes?: if imageURLHighRes == nil { imageURLHighRes = value }
                case .images?: if images == nil { images = value }
                case nil: break
                }
            }
        }
    }

    func item(from pairs: [(String, CatalogValue)]) throws(RecordParseError) -> CatalogItem {
        let fields = Fields(pairs)
        let asinValue = nonEmpty(fields.asin?.string) ?? nonEmpty(fields.parentAsin?.string)
        guard let asin = asinValue.map(RecordExtractor.trimmed), !asin.isEmpty else {
            throw RecordParseError(reason: IngestRejects.missingAsin, detail: "no 'asin' or 'parent_asin' string")
        }
        let title = cleanText(fields.title)
        let description = cleanText(fields.description)
        let brand = cleanText(fields.brand) ?? cleanText(fields.store)
        let categories = categoryReading(fields)
        let related = fields.related
        let alsoBought = asins(related?["also_bought"], fields.alsoBought, fields.alsoBuy)
        let boughtTogether = asins(related?["bought_together"], fields.boughtTogether)
        let alsoViewed = asins(related?["also_viewed"], fields.alsoViewed, fields.alsoView)
        let urls = imageURLs(fields)
        return CatalogItem(
            asin: asin, title: title, description: description, brand: brand, price: price(fields.price),
            category: categories.path, type: types.classify(categoryType: categories.type, title: title),
            imageURL: urls.first, image: images.resolve(asin: asin, urls: urls),
            alsoBought: AsinList.unique(alsoBought, excluding: asin), boughtTogether: AsinList.unique(boughtTogether, excluding: asin),
            alsoViewed: AsinList.unique(alsoViewed, excluding: asin))
    }

    private func nonEmpty(_ text: String?) -> String? {
        guard let text, !text.isEmpty else { return nil }
        return text
    }

    /// A string, or a list of strings joined by spaces (2018/2023 descriptions are lists).
    private func cleanText(_ value: CatalogValue?) -> String? {
        let raw: String
        switch value {
        case .string(let text)?: raw = text
        case .array(let values)?: raw = values.compactMap(\.string).joined(separator: " ")
        default: return nil
        }
        let plain = HTMLText.plain(raw)
        return plain.isEmpty ? nil : plain
    }

    /// A number, or text like "$1,299.99" or "$10.99 - $15.99" (the lower end); nil otherwise.
    func price(_ value: CatalogValue?) -> Double? {
        switch value {
        case .number(let number)?:
            return number.isFinite && number >= 0 ? number : nil
        case .string(let text)?:
            guard let number = Double(Self.priceDigits(text)), number.isFinite else { return nil }
            return number
        default:
            return nil
        }
    }

    /// The first run of ASCII digits and dots in `text`, commas inside it dropped. ASCII text is
    /// read byte by byte (a Character there is one byte, or "\r\n", which is no digit either
    /// way): iterating Characters cost more than the rest of the price. Other text is read by
    /// Characters, so that a digit with a combining mark is no digit.
    static func priceDigits(_ text: String) -> String {
        var text = text
        let digits = text.withUTF8 { bytes in
            UTF8Validation.isASCII(bytes) ? numberRun(bytes, ascii: { $0 }) : nil
        } ?? numberRun(text, ascii: \.asciiValue)
        return String(decoding: digits, as: UTF8.self)
    }

    /// The first run of digits and dots among `elements` (a dot only after a digit), skipping
    /// commas inside it; `ascii` gives an element's ASCII byte, nil when it is not one.
    private static func numberRun<S: Sequence>(_ elements: S, ascii: (S.Element) -> UInt8?) -> [UInt8] {
        var digits: [UInt8] = []
        var started = false
        for element in elements {
            let byte = ascii(element)
            if let byte, (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (started && byte == UInt8(ascii: ".")) {
                digits.append(byte)
                started = true
            } else if started && byte == UInt8(ascii: ",") {
                continue
            } else if started {
                break
            }
        }
        return digits
    }

    /// The category path and type, from the memo when these category fields were seen before
    /// (cleaning each element, matching the rules and joining the path cost 4 % of ingest's time).
    private func categoryReading(_ fields: Fields) -> CategoryReading {
        let key = categoryKey(fields)
        if let known = categoryReadings.lookup(key) { return known }
        let paths = categoryPaths(fields)
        let reading = CategoryReading(path: paths.first?.joined(separator: " > "), type: types.categoryType(of: paths))
        categoryReadings.store(key, reading)
        return reading
    }

    /// The raw fields `categoryPaths` reads, spelled so that different fields never give the
    /// same key: every string with its byte count in front (eight letters a-p, one per 4 bits),
    /// lists in brackets, other values (which it ignores) as one mark.
    private func categoryKey(_ fields: Fields) -> String {
        var key: [UInt8] = []
        key.reserveCapacity(256)
        func add(_ value: CatalogValue?) {
            switch value {
            case .string(let text)?:
                let count = text.utf8.count
                for shift in stride(from: 28, through: 0, by: -4) { key.append(UInt8(ascii: "a") + UInt8((count >> shift) & 0xF)) }
                key.append(contentsOf: text.utf8)
            case .array(let values)?:
                key.append(UInt8(ascii: "["))
                values.forEach { add($0) }
                key.append(UInt8(ascii: "]"))
            case nil:
                key.append(UInt8(ascii: "-"))
            default:
                key.append(UInt8(ascii: "?"))
            }
        }
        add(fields.categories)
        add(fields.category)
        add(fields.mainCategory)
        add(fields.mainCategory2023)
        return String(decoding: key, as: UTF8.self)
    }

    /// All category paths, the best one first: 2014 `categories` is a list of paths, 2018
    /// `category` and 2023 `categories` one path; `main_cat`/`main_category` a last resort.
    private func categoryPaths(_ fields: Fields) -> [[String]] {
        var paths: [[String]] = []
        func add(_ value: CatalogValue?) {
            guard let values = value?.array else { return }
            if values.allSatisfy({ $0.array != nil }) {
                for path in values { add(path) }
                return
            }
            let path = values.compactMap(\.string).map(HTMLText.plain).filter { !$0.isEmpty }
            if !path.isEmpty { paths.append(path) }
        }
        add(fields.categories)
        add(fields.category)
        for main in [fields.mainCategory, fields.mainCategory2023] {
            if let main = main?.string.map(HTMLText.plain), !main.isEmpty { paths.append([main]) }
        }
        return paths
    }

    /// The non-empty strings of the lists, trimmed, in order, in one array (lists of a hundred
    /// asins are the bulk of a record).
    private func asins(_ lists: CatalogValue?...) -> [String] {
        var result: [String] = []
        for case let .array(values)? in lists {
            result.reserveCapacity(result.count + values.count)
            for case let .string(text) in values {
                let asin = RecordExtractor.trimmed(text)
                if !asin.isEmpty { result.append(asin) }
            }
        }
        return result
    }

    /// Without surrounding ASCII spaces and tabs; returns the string itself in the usual case
    /// (Foundation's trimming costs more than parsing the record).
    static func trimmed(_ text: String) -> String {
        let utf8 = text.utf8
        guard let first = utf8.first, let last = utf8.last else { return text }
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }
        if !isSpace(first) && !isSpace(last) { return text }
        guard let start = utf8.firstIndex(where: { !isSpace($0) }), let end = utf8.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(text[start...end])
    }

    /// Image URLs, best first: high-resolution lists, then the others, then 2023 `images[]`.
    private func imageURLs(_ fields: Fields) -> [String] {
        var urls: [String] = []
        func add(_ value: CatalogValue?) {
            switch value {
            case .string(let url)?: if !url.isEmpty { urls.append(url) }
            case .array(let values)?: values.forEach { add($0) }
            default: break
            }
        }
        add(fields.imageURLHighRes)
        add(fields.imageURL)
        add(fields.image)
        add(fields.imUrl)
        for image in fields.images?.array ?? [] {
            add(image["large"])
            add(image["hi_res"])
        }
        return urls
    }
}
