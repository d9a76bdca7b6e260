import LoomCore
import Testing
@testable import LoomSampleData

/// `loom eval --hidden-rules`: the generator's outfit rules read back from its own titles, and
/// the cosine embedding closest to them.
@Suite struct HiddenRuleScorerTests {
    @Test func readsEveryGeneratedTitleBackAndScoresAsTheRulesDo() {
        let factory = ProductFactory(seed: 5)
        var products = factory.makeProducts() + (0..<300).map { factory.makeScaleProduct(serial: $0) }
        // The next night's retitled products keep their attributes.
        for index in stride(from: 0, to: products.count, by: 7) { products[index].title += ScaleSampleGenerator.retitledSuffix }
        for product in products {
            let read = HiddenRuleScorer.parse(title: product.title)
            #expect(read?.0 == product.kind && read?.1 == product.style && read?.2 == product.color, "\(product.title)")
        }
        let scorer = HiddenRuleScorer(titles: products.map(\.title) + ["Corrupt Sample Women's Tee 1 (its image is broken)", nil])
        #expect(scorer.readableTitles == products.count)
        var allowed = 0
        for a in products.indices {
            for b in products.indices where b % 3 == a % 3 {
                let rule = OutfitRules.compatible(products[a], products[b])
                #expect(scorer.score(a, b) == (rule ? 1 : 0))
                allowed += rule ? 1 : 0
            }
            #expect(scorer.score(a, products.count) == 0 && scorer.score(products.count + 1, a) == 0, "an unreadable title goes with nothing")
        }
        #expect(allowed > 1_000, "the rules allow some pairs")
    }

    @Test func theIdealVectorsScoreAllowedPairsAboveTheOthers() {
        let factory = ProductFactory(seed: 5)
        let products = (0..<400).map { factory.makeScaleProduct(serial: $0) }
        let scorer = HiddenRuleScorer(titles: products.map(\.title) + ["Not a generated title"])
        let (dim, rows) = scorer.idealVectors()
        #expect(rows.count == dim * (products.count + 1) && dim >= 4 && dim <= 56)
        func cosine(_ a: Int, _ b: Int) -> Float { (0..<dim).reduce(0) { $0 + rows[a * dim + $1] * rows[b * dim + $1] } }
        for item in products.indices { #expect(abs(cosine(item, item) - 1) < 1e-5) }
        #expect(cosine(products.count, products.count) == 0, "an unreadable title gets a zero vector")
        // Style and colour decide (kinds are left out): pairs the rules allow score higher than
        // those of another style, which the positive part of a block-diagonal matrix puts at 0.
        var allowed: [Float] = [], otherStyle: [Float] = []
        for a in products.indices {
            for b in products.indices where a < b {
                let (x, y) = (products[a], products[b])
                if x.style != y.style {
                    otherStyle.append(cosine(a, b))
                } else if OutfitRules.coloursMatch(x.color, y.color) {
                    allowed.append(cosine(a, b))
                }
            }
        }
        #expect(otherStyle.allSatisfy { abs($0) < 1e-5 })
        #expect(allowed.min()! > 0.3, "\(allowed.min()!)")
    }
}
