import LoomCore

/// Draws the attributes, text and image parameters of each product from the seed.
struct ProductFactory {
    let seed: UInt64

    static let kindCounts: [(Product.Kind, Int)] = [
        (.top, 60), (.bottom, 50), (.dress, 40), (.outerwear, 30), (.shoes, 50), (.bag, 35), (.accessory, 35),
    ]

    static let brands: [Product.Style: [String]] = [
        .formal: ["Harrow & Vale", "Northfield", "Maison Clair"],
        .casual: ["Daybreak Denim", "Cotton Row", "Oak & Ivy"],
        .sporty: ["Stridewell", "Pacefield", "Kinetic Lab"],
        .boho: ["Wildflower Folk", "Sol & Sage", "Mirage Road"],
    ]

    static let styleWords: [Product.Style: [String]] = [
        .formal: ["Tailored", "Classic", "Office"],
        .casual: ["Everyday", "Relaxed", "Weekend"],
        .sporty: ["Athletic", "Active", "Performance"],
        .boho: ["Bohemian", "Flowy", "Festival"],
    ]

    static let patterns: [Product.Style: [Product.Pattern]] = [
        .formal: [.solid, .solid, .stripes],
        .casual: [.stripes, .checks, .solid],
        .sporty: [.band, .band, .solid],
        .boho: [.floral, .dots, .floral],
    ]

    static let patternWords: [Product.Pattern: String] = [
        .solid: "", .stripes: "Striped", .checks: "Plaid", .dots: "Polka Dot", .floral: "Floral", .band: "Contrast-Stripe",
    ]

    static let materials: [Product.Style: [String]] = [
        .formal: ["a crisp wool blend", "smooth crepe", "structured cotton twill"],
        .casual: ["soft cotton jersey", "washed denim", "brushed flannel"],
        .sporty: ["moisture-wicking polyester", "stretch nylon", "breathable mesh"],
        .boho: ["airy rayon", "gauzy cotton voile", "embroidered linen"],
    ]

    /// Three phrasings per style, as real copywriters vary them: a text model has to learn which
    /// belong together, not just match a repeated sentence.
    static let occasions: [Product.Style: [String]] = [
        .formal: ["the office, interviews and evening events", "board meetings and business dinners", "weddings, galas and the theatre"],
        .casual: ["weekends, errands and coffee with friends", "lazy Sundays and city walks", "school runs and brunch"],
        .sporty: ["the gym, running and an active day out", "yoga, cycling and hiking trails", "training sessions and match days"],
        .boho: ["festivals, beach days and summer evenings", "markets, road trips and picnics", "sunset gatherings and garden parties"],
    ]

    static let basePrice: [Product.Kind: Double] = [
        .top: 24, .bottom: 39, .dress: 49, .outerwear: 89, .shoes: 64, .bag: 45, .accessory: 18,
    ]

    /// All products, in a fixed order, with asins unique.
    func makeProducts() -> [Product] {
        var products: [Product] = []
        var used = Set<String>()
        var serial = 0
        for (kind, count) in ProductFactory.kindCounts {
            for _ in 0..<count {
                var random = SeededRandom(seed: seed, key: "product:\(serial)")
                var asin = ProductFactory.asin(&random)
                while used.contains(asin) { asin = ProductFactory.asin(&random) }
                used.insert(asin)
                products.append(makeProduct(asin: asin, kind: kind, serial: serial, random: &random))
                serial += 1
            }
        }
        // Interleave kinds so each catalog file holds every kind.
        var order = SeededRandom(seed: seed, key: "order")
        order.shuffle(&products)
        let shapes: [Product.Shape] = [.loose2014, .strict2018, .lines2023]
        for index in products.indices {
            products[index].shape = shapes[index % 3]
        }
        return products
    }

    /// Product `serial` of a catalog at scale (`loom sample-data --items N`): the same
    /// attributes, texts and outfit rules as SampleData, a kind drawn with SampleData's shares,
    /// an asin made from the serial (unique without a look-up), a photo of 256-512 px named as
    /// its image URL names it, and the 2018 shape (which carries co-purchase lists).
    func makeScaleProduct(serial: Int) -> Product {
        var random = SeededRandom(seed: seed, key: "scale-product:\(serial)")
        let total = ProductFactory.kindCounts.map(\.1).reduce(0, +)
        var draw = random.int(in: 0...(total - 1))
        var kind = Product.Kind.top
        for (candidate, count) in ProductFactory.kindCounts {
            if draw < count { kind = candidate; break }
            draw -= count
        }
        let asin = "B1" + ProductFactory.base36(serial, digits: 8)
        var product = makeProduct(asin: asin, kind: kind, serial: serial, random: &random)
        product.shape = .strict2018
        product.width = random.int(in: 256...512)
        product.height = min(max(Int((Double(product.width) * (0.9 + 0.4 * random.unit())).rounded()), 256), 512)
        product.setPhoto(stem: "71" + asin.suffix(8) + "L")
        return product
    }

    /// `value` in base 36, upper case, left-padded with zeros to `digits`.
    static func base36(_ value: Int, digits: Int) -> String {
        let text = String(value, radix: 36).uppercased()
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    static func asin(_ random: inout SeededRandom) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return "B0" + String((0..<8).map { _ in random.pick(alphabet) })
    }

    private func makeProduct(asin: String, kind: Product.Kind, serial: Int, random: inout SeededRandom) -> Product {
        let garment = random.pick(Garment.choices(for: kind))
        let style = random.pick(Product.Style.allCases)
        let color = random.pick(NamedColor.palette)
        var accent = random.pick(NamedColor.palette)
        while accent == color { accent = random.pick(NamedColor.palette) }
        let pattern = random.pick(ProductFactory.patterns[style]!)
        let brand = random.pick(ProductFactory.brands[style]!)
        let styleWord = random.pick(ProductFactory.styleWords[style]!)
        let patternWord = ProductFactory.patternWords[pattern]!
        var words: [String] = [brand, "Women's", styleWord, color.titleWords]
        if !patternWord.isEmpty { words.append(patternWord) }
        words.append(garment.noun)
        let title = words.joined(separator: " ")
        let material = random.pick(ProductFactory.materials[style]!)
        // Its own generator, so the draws that decide pictures and prices stay as they were.
        var phrasing = SeededRandom(seed: 0x0CCA_5105, key: asin)
        let occasion = phrasing.pick(ProductFactory.occasions[style]!)
        let description = "\(styleWord) \(garment.noun.lowercased()) in \(material), \(color.name) with \(accent.name) details. Made for \(occasion)."
        let multiplier: Double = style == .formal ? 1.6 : (style == .boho ? 1.1 : 1.0)
        let base: Double = ProductFactory.basePrice[kind]!
        let raw: Double = base * multiplier * (0.8 + 0.5 * random.unit())
        let price: Double? = random.unit() < 0.1 ? nil : raw.rounded(.down) + 0.99

        // Images: mostly small baseline JPEGs; some progressive, some PNG with alpha, a few rotated.
        let roll = random.unit()
        let format: Product.ImageFormat = (kind == .bag || kind == .accessory) && roll < 0.3
            ? .alphaPNG : (roll < 0.25 ? .progressiveJPEG : .baselineJPEG)
        let large = random.unit() < 0.06
        var width = large ? random.int(in: 1200...1600) : random.int(in: 400...720)
        var height = Int((Double(width) * (0.9 + 0.4 * random.unit())).rounded())
        height = min(max(height, 400), 1600)
        width = min(max(width, 400), 1600)
        let orientation = format != .alphaPNG && random.unit() < 0.06 ? random.pick([3, 6, 8, 2]) : 1
        let ext = format == .alphaPNG ? "png" : "jpg"
        // A few files are named as the image URL names them, not by asin (ingest must try both).
        let byURLName = random.unit() < 0.05
        let urlStem = byURLName ? "71" + String(asin.suffix(6)) + "L" : asin
        let imageURL = "https://m.media-amazon.com/images/I/\(urlStem).\(ext)"
        return Product(
            asin: asin, kind: kind, garment: garment, style: style, color: color, accent: accent, pattern: pattern,
            brand: brand, price: price, title: title, description: description, shape: .strict2018,
            imageFormat: format, orientation: orientation, width: width, height: height,
            imageFileName: "\(urlStem).\(ext)", imageURL: imageURL)
    }
}
