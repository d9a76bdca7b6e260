import LoomCore

/// The products of a catalog at scale grouped by style, kind and colour, so that an item's
/// compatible partners (OutfitRules) are drawn from a few groups instead of filtering the whole
/// catalog for each item: SampleData's way is quadratic, and a million items would take hours.
struct OutfitBuckets {
    private struct Key: Hashable {
        var style: Product.Style
        var kind: Product.Kind
        var colour: String
    }

    private var members: [Key: [Int]] = [:]
    /// The colours present, by name order (the order groups are visited in).
    private var colours: [NamedColor] = []

    /// `products` indexed by position.
    init(_ products: [Product]) {
        var byName: [String: NamedColor] = [:]
        for (index, product) in products.enumerated() {
            members[Key(style: product.style, kind: product.kind, colour: product.color.name), default: []].append(index)
            byName[product.color.name] = product.color
        }
        colours = byName.values.sorted { $0.name < $1.name }
    }

    /// The groups of products `OutfitRules.compatible` with `product`.
    private func compatibleGroups(_ product: Product) -> [[Int]] {
        var groups: [[Int]] = []
        for kind in Product.Kind.allCases where OutfitRules.complementary(product.kind, kind) {
            for colour in colours where OutfitRules.coloursMatch(product.color, colour) {
                if let group = members[Key(style: product.style, kind: kind, colour: colour.name)] { groups.append(group) }
            }
        }
        return groups
    }

    /// The groups of the same kind and style (what shoppers view instead).
    private func similarGroups(_ product: Product) -> [[Int]] {
        colours.compactMap { members[Key(style: product.style, kind: product.kind, colour: $0.name)] }
    }

    /// Up to `count` distinct members of `groups` drawn at random, `product` itself excluded.
    private static func draw(_ count: Int, from groups: [[Int]], excluding own: Int, random: inout SeededRandom) -> [Int] {
        let total = groups.reduce(0) { $0 + $1.count }
        guard total > 0 else { return [] }
        var chosen: [Int] = []
        var tries = 0
        while chosen.count < min(count, total - 1), tries < 8 * count {
            tries += 1
            var position = random.int(in: 0...(total - 1))
            var group = 0
            while position >= groups[group].count {
                position -= groups[group].count
                group += 1
            }
            let candidate = groups[group][position]
            if candidate != own && !chosen.contains(candidate) { chosen.append(candidate) }
        }
        return chosen
    }

    /// Fills the co-purchase lists of the products at `indices` as `OutfitRules.assignCoPurchases`
    /// does (4-10 compatible partners, up to one random item of noise, two bought together, 2-6
    /// of the same kind and style viewed), partners drawn from the buckets.
    func assignCoPurchases(_ products: inout [Product], indices: Range<Int>, seed: UInt64) {
        let all = products
        for index in indices {
            let me = all[index]
            var random = SeededRandom(seed: seed, key: "scale-copurchase:\(me.asin)")
            let partners = Self.draw(random.int(in: 4...10), from: compatibleGroups(me), excluding: index, random: &random)
            var bought = partners.map { all[$0].asin }
            if random.int(in: 0...1) == 1 {
                let other = all[random.int(in: 0...(all.count - 1))]
                if other.asin != me.asin && !bought.contains(other.asin) { bought.append(other.asin) }
            }
            products[index].alsoBought = bought
            products[index].boughtTogether = Array(partners.prefix(2).map { all[$0].asin })
            products[index].alsoViewed = Self.draw(random.int(in: 2...6), from: similarGroups(me), excluding: index, random: &random)
                .map { all[$0].asin }
        }
    }
}
