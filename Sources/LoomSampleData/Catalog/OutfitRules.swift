import LoomCore

/// The hidden rules that decide which products are bought together. A model can only learn them
/// from what is visible: the kind (silhouette, title noun), the style (pattern, title words,
/// brand) and the colour (pixels, title).
enum OutfitRules {
    /// Kinds that make an outfit together; same-kind pairs are substitutes, and a dress does not
    /// go with a top or a bottom.
    static func complementary(_ a: Product.Kind, _ b: Product.Kind) -> Bool {
        if a == b { return false }
        let pair = Set([a, b])
        return pair != [.dress, .top] && pair != [.dress, .bottom]
    }

    /// One style per outfit: with looser style rules a random item of the right kind went with
    /// the anchor about as often as not, and no evaluation could tell a good model from a weak one.
    static func stylesMatch(_ a: Product.Style, _ b: Product.Style) -> Bool { a == b }

    /// Neutrals go with everything; otherwise only harmonious colour families.
    static func coloursMatch(_ a: NamedColor, _ b: NamedColor) -> Bool {
        if a.isNeutral || b.isNeutral { return true }
        if a.family == b.family { return a.name != b.name || a.family == "earth" }
        let pair = Set([a.family, b.family])
        return pair == ["earth", "cool"] || pair == ["pastel", "cool"] || pair == ["warm", "earth"]
    }

    static func compatible(_ a: Product, _ b: Product) -> Bool {
        compatible((a.kind, a.style, a.color), (b.kind, b.style, b.color))
    }

    /// The rules on the three attributes they read (also from a generated title: `HiddenRuleScorer`).
    static func compatible(_ a: (Product.Kind, Product.Style, NamedColor), _ b: (Product.Kind, Product.Style, NamedColor)) -> Bool {
        complementary(a.0, b.0) && stylesMatch(a.1, b.1) && coloursMatch(a.2, b.2)
    }

    /// Fills `alsoBought`, `boughtTogether` and `alsoViewed` from the rules plus some noise, for
    /// the products whose shape carries co-purchase lists (2023 lines have none, as in reality).
    static func assignCoPurchases(_ products: inout [Product], seed: UInt64) {
        let all = products
        for index in products.indices where products[index].shape != .lines2023 {
            var random = SeededRandom(seed: seed, key: "copurchase:\(products[index].asin)")
            let me = all[index]
            var partners = all.filter { $0.asin != me.asin && compatible(me, $0) }.map(\.asin)
            random.shuffle(&partners)
            let count = min(partners.count, random.int(in: 4...10))
            var bought = Array(partners.prefix(count))
            // Noise: real lists contain items that have nothing to do with the outfit.
            let noise = random.int(in: 0...1)
            for _ in 0..<noise {
                let other = random.pick(all)
                if other.asin != me.asin && !bought.contains(other.asin) { bought.append(other.asin) }
            }
            random.shuffle(&bought)
            products[index].alsoBought = bought
            products[index].boughtTogether = Array(partners.prefix(min(2, partners.count)))
            var similar = all.filter { $0.asin != me.asin && $0.kind == me.kind && $0.style == me.style }.map(\.asin)
            random.shuffle(&similar)
            products[index].alsoViewed = Array(similar.prefix(random.int(in: 2...6)))
        }
    }
}
