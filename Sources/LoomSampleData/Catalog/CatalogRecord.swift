/// A product as one catalog line in each of the three real Amazon shapes.
import Foundation

enum CatalogRecord {
    static let mainCategory = "Clothing, Shoes & Jewelry"

    /// 2014: a Python literal with `related`, `imUrl`, `salesRank` and `categories` as a list of lists.
    static func loose2014(_ product: Product, salesRank: Int) -> String {
        var related: [(String, OrderedJSON)] = []
        if !product.alsoBought.isEmpty { related.append(("also_bought", .strings(product.alsoBought))) }
        if !product.alsoViewed.isEmpty { related.append(("also_viewed", .strings(product.alsoViewed))) }
        if !product.boughtTogether.isEmpty { related.append(("bought_together", .strings(product.boughtTogether))) }
        var pairs: [(String, OrderedJSON)] = [("asin", .string(product.asin))]
        if !related.isEmpty { pairs.append(("related", .object(related))) }
        pairs.append(("title", .string(product.title)))
        if let price = product.price { pairs.append(("price", .number(price))) }
        pairs.append(("salesRank", .object([(mainCategory, .integer(salesRank))])))
        pairs.append(("imUrl", .string(product.imageURL.replacingOccurrences(of: "https://m.media-amazon.com", with: "http://ecx.images-amazon.com"))))
        pairs.append(("brand", .string(product.brand)))
        pairs.append(("categories", .array([.strings(product.garment.categoryPath), .strings([mainCategory, "Women"])])))
        // 2014 descriptions carry raw newlines, written as \n escapes.
        pairs.append(("description", .string(product.description + "\nCare: machine wash cold, tumble dry low.")))
        return PythonLiteral.text(.object(pairs))
    }

    /// 2018: strict JSON with HTML in text fields, `also_buy`/`also_view`, price as "$x.yy" or "".
    static func strict2018(_ product: Product, salesRank: Int) -> String {
        let htmlTitle = product.title.replacingOccurrences(of: "&", with: "&amp;")
        let htmlDescription = "<b>Style:</b> \(product.description)<br/>Machine wash cold &amp; hang dry.&nbsp;<i>Imported</i>"
        let pairs: [(String, OrderedJSON)] = [
            ("category", .strings(product.garment.categoryPath)),
            ("tech1", .string("")),
            ("description", .strings([htmlDescription, "Size &amp; fit: true to size."])),
            ("fit", .string("")),
            ("title", .string(htmlTitle)),
            ("also_buy", .strings(product.alsoBought)),
            ("image", .strings([])),
            ("tech2", .string("")),
            ("brand", .string(product.brand)),
            ("feature", .strings(["100% \(product.style == .sporty ? "Polyester" : "Cotton")", "Imported", "Machine Wash"])),
            ("rank", .string("\(salesRank) in Clothing, Shoes & Jewelry (")),
            ("also_view", .strings(product.alsoViewed)),
            ("details", .object([])),
            ("main_cat", .string("AMAZON FASHION")),
            ("similar_item", .string("")),
            ("date", .string("")),
            ("price", .string(product.price.map { "$" + OrderedJSON.number($0).text } ?? "")),
            ("asin", .string(product.asin)),
            ("imageURL", .strings([thumbnailURL(product.imageURL)])),
            ("imageURLHighRes", .strings([product.imageURL])),
        ]
        return OrderedJSON.object(pairs).text
    }

    /// 2023: `parent_asin`, `images[{thumb, large, variant, hi_res}]`, `store`, no co-purchase lists.
    static func lines2023(_ product: Product, rating: Double, ratingCount: Int, withCategories: Bool) -> String {
        let image: OrderedJSON = .object([
            ("thumb", .string(thumbnailURL(product.imageURL))),
            ("large", .string(product.imageURL)),
            ("variant", .string("MAIN")),
            ("hi_res", withCategories ? .string(product.imageURL) : .null),
        ])
        let pairs: [(String, OrderedJSON)] = [
            ("main_category", .string("AMAZON FASHION")),
            ("title", .string(product.title)),
            ("average_rating", .number(rating)),
            ("rating_number", .integer(ratingCount)),
            ("features", .strings(["Imported", product.description])),
            ("description", .strings(withCategories ? [product.description] : [])),
            ("price", product.price.map { .number($0) } ?? .null),
            ("images", .array([image])),
            ("videos", .array([])),
            ("store", .string(product.brand)),
            ("categories", .strings(withCategories ? product.garment.categoryPath : [])),
            ("details", .object([("Department", .string("womens"))])),
            ("parent_asin", .string(product.asin)),
            ("bought_together", .null),
        ]
        return OrderedJSON.object(pairs).text
    }

    /// Amazon's small-image URL: a size modifier before the extension (`71abc._SS40_.jpg`).
    static func thumbnailURL(_ url: String) -> String {
        let ext = (url as NSString).pathExtension
        return String(url.dropLast(ext.count + 1)) + "._SS40_." + ext
    }
}
