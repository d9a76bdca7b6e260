import LoomKernels

/// Scores item pairs of a catalog made by `loom sample-data` with the generator's hidden outfit
/// rules (`OutfitRules`), read back from each title ("Brand Women's StyleWord Colour [Pattern]
/// Noun": the brand gives the style, the noun the kind): 1 for a pair the rules allow, 0 for any
/// other. A listed partner is drawn at random among the items the rules allow, so this is what a
/// perfect model of compatibility scores (`loom eval --hidden-rules`). Not a strict bound: a
/// held-out pair comes from either item's list, and an item with fewer allowed partners lists
/// each of them more often, which a scorer could exploit a little.
public struct HiddenRuleScorer: Sendable {
    typealias Attributes = (Product.Kind, Product.Style, NamedColor)

    /// Per item: its attributes, or nil for a title the generator did not write (it goes with nothing).
    private let attributes: [Attributes?]

    /// `titles[item]`: each item's title as ingested (nil where it has none).
    public init(titles: [String?]) {
        attributes = titles.map { $0.flatMap(Self.parse(title:)) }
    }

    /// How many titles were read back (the others score 0 with everything).
    public var readableTitles: Int { attributes.count { $0 != nil } }

    public func score(_ a: Int, _ b: Int) -> Double {
        guard let x = attributes[a], let y = attributes[b] else { return 0 }
        return OutfitRules.compatible(x, y) ? 1 : 0
    }

    /// Per item, a unit vector of the cosine embedding that comes closest to the rules (zero for
    /// an unreadable title): its (style, colour) class's row of V₊Λ₊^½, where V₊Λ₊V₊ᵀ is the
    /// positive part of the rules' class matrix, normalised (so cosines are that part's entries,
    /// normalised). Kinds are left out (a ranking compares partners of one kind). What a perfect
    /// cosine embedding of this catalog looks like, for its health figures.
    public func idealVectors() -> (dim: Int, rows: [Float]) {
        let classes = Product.Style.allCases.flatMap { style in NamedColor.palette.map { (style, $0) } }
        let n = classes.count
        var matrix = [Double](repeating: 0, count: n * n)
        for (i, a) in classes.enumerated() {
            for (j, b) in classes.enumerated() where OutfitRules.stylesMatch(a.0, b.0) && OutfitRules.coloursMatch(a.1, b.1) {
                matrix[i * n + j] = 1
            }
        }
        let (values, vectors) = PrincipalComponents.eigenDecomposition(symmetric: matrix, order: n)
        let kept = values.indices.filter { values[$0] > 1e-9 }
        var classRows = [[Float]](repeating: [], count: n)
        for i in 0..<n {
            let row = kept.map { vectors[i * n + $0] * values[$0].squareRoot() }
            let norm = row.reduce(0) { $0 + $1 * $1 }.squareRoot()
            classRows[i] = row.map { Float(norm > 0 ? $0 / norm : 0) }
        }
        var rows: [Float] = []
        rows.reserveCapacity(attributes.count * kept.count)
        for item in attributes {
            if let (_, style, colour) = item, let index = classes.firstIndex(where: { $0.0 == style && $0.1 == colour }) {
                rows += classRows[index]
            } else {
                rows += [Float](repeating: 0, count: kept.count)
            }
        }
        return (kept.count, rows)
    }

    /// The brand's style, the colour after the style word and the kind of the noun at the end
    /// (a retitled product's " - New Season" suffix aside).
    static func parse(title: String) -> Attributes? {
        guard let (brand, style) = ProductFactory.brands.lazy.flatMap({ style, brands in brands.map { ($0, style) } })
            .first(where: { title.hasPrefix($0.0 + " Women's ") }) else { return nil }
        var rest = Substring(title.dropFirst(brand.count + " Women's ".count))
        guard let word = ProductFactory.styleWords[style]!.first(where: { rest.hasPrefix($0 + " ") }) else { return nil }
        rest = rest.dropFirst(word.count + 1)
        guard let colour = Self.paletteLongestFirst.first(where: { rest.hasPrefix($0.titleWords + " ") }) else { return nil }
        let suffix = ScaleSampleGenerator.retitledSuffix
        let body = rest.hasSuffix(suffix) ? rest.dropLast(suffix.count) : rest
        guard let kind = Product.Kind.allCases.first(where: { kind in
            Garment.choices(for: kind).contains { body.hasSuffix(" " + $0.noun) }
        }) else { return nil }
        return (kind, style, colour)
    }

    /// Longest name first: no colour's words begin another's today, but the order makes it safe.
    static let paletteLongestFirst = NamedColor.palette.sorted { $0.name.count > $1.name.count }
}
