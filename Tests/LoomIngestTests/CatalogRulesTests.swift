import Foundation
import LoomCore
import LoomTestSupport
import Testing
@testable import LoomIngest

@Suite struct CatalogRulesTests {
    let rules = CoarseTypeRules(rules: CoarseTypeRule.defaults, ignoredCategories: CoarseTypeRule.defaultIgnoredCategories)

    @Test(arguments: [
        (["Clothing, Shoes & Jewelry", "Women", "Clothing", "Pants", "Dress Pants"], "bottom"),
        (["Clothing, Shoes & Jewelry", "Women", "Clothing", "Dresses", "Casual"], "dress"),
        (["Clothing, Shoes & Jewelry", "Women", "Shoes", "Boots", "Ankle & Bootie"], "shoes"),
        (["Clothing, Shoes & Jewelry", "Women", "Handbags & Wallets", "Crossbody Bags"], "bag"),
        (["Clothing, Shoes & Jewelry", "Women", "Jewelry", "Necklaces"], "jewelry"),
        (["Clothing, Shoes & Jewelry", "Women", "Accessories", "Hats & Caps", "Sun Hats"], "accessory"),
        (["Clothing, Shoes & Jewelry", "Women", "Clothing", "Coats, Jackets & Vests", "Trench Coats"], "outerwear"),
        (["Clothing, Shoes & Jewelry", "Women", "Clothing", "Tops, Tees & Blouses"], "top"),
        (["Clothing, Shoes & Jewelry", "Women"], "other"),
        (["Home & Kitchen", "Furniture", "Settees"], "other"),
    ])
    func classifiesCategoryPaths(_ path: [String], _ expected: String) {
        #expect(rules.classify(categoryPaths: [path], title: nil) == expected)
    }

    /// The extractor remembers what each spelling of the category fields gave; a record whose
    /// fields were seen before gets what a fresh extractor gives it, including spellings that
    /// would run together if the key were the elements joined ("Dresses", "Shoes" against
    /// "Dresses Shoes"; a nested list against a flat one; a number the paths ignore).
    @Test func rememberedCategoriesGiveWhatAFreshReadingGives() throws {
        func strings(_ texts: [String]) -> CatalogValue { .array(texts.map { .string($0) }) }
        let variants: [[(String, CatalogValue)]] = [
            [("category", strings(["Clothing, Shoes & Jewelry", "Women", "Dresses", "Shoes"]))],
            [("category", strings(["Clothing, Shoes & Jewelry", "Women", "Dresses Shoes"]))],
            [("categories", .array([strings(["Clothing, Shoes & Jewelry", "Women", "Dresses"])]))],
            [("category", strings(["Clothing, Shoes & Jewelry", "Women", "Dresses"]))],
            [("category", .array([.string("Clothing, Shoes &amp; Jewelry"), .number(5), .string("Handbags")]))],
            [("category", .array([.string("Clothing, Shoes &amp; Jewelry"), .string("Handbags")]))],
            [("main_cat", .string("Shoes"))],
            [("category", strings([])), ("main_cat", .string("Shoes"))],
            [("title", .string("Leather Tote Bag"))],
        ]
        let shared = TruncationPropertyTests.extractor
        for _ in 0..<2 {
            for (index, pairs) in variants.enumerated() {
                let fresh = RecordExtractor(types: rules, images: try ImageResolver(folders: []))
                let record = [("asin", CatalogValue.string("B\(index)"))] + pairs
                #expect(try shared.item(from: record) == (try fresh.item(from: record)), "variant \(index)")
            }
        }
        let split = try RecordExtractor(types: rules, images: try ImageResolver(folders: [])).item(from: [("asin", .string("B")), variants[0][0]])
        let joined = try RecordExtractor(types: rules, images: try ImageResolver(folders: [])).item(from: [("asin", .string("B")), variants[1][0]])
        #expect(split.category != joined.category)
    }

    @Test(arguments: [
        ("Floral Shirt Dress for Women", "dress"),
        ("Men's Leather Dress Shoes", "shoes"),
        ("LassZone Canvas Crossbody Handbags Cell Phone Purse Wallet Pouch Bags for Women Girls", "bag"),
        ("Sterling Silver Heart Necklace", "jewelry"),
        ("Gift Card", "other"),
    ])
    func fallsBackToTheLastTitleWord(_ title: String, _ expected: String) {
        #expect(rules.classify(categoryPaths: [["Clothing, Shoes & Jewelry"]], title: title) == expected)
    }

    /// The byte-level scan that ASCII titles take gives what the general word split gives.
    @Test func asciiTitleScanAgreesWithTheGeneralOne() throws {
        var titles = ["Floral Shirt Dress", "T-Shirt-", "&Shoes&", "BAG", "dress---", "Café Dress", "éDress", "Dress é",
                      "Robe-é", "Kid's Hoodie (Blue), size 8", "Bags & Jeans!", "   ", "", "-&-", "Sneaker2 shoes3 Tote"]
        let catalog = try String(contentsOfFile: IngestFixture.sample("catalog/meta_2018.jsonl"), encoding: .utf8)
        for line in catalog.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            if let title = object?["title"] as? String { titles.append(title) }
        }
        #expect(titles.count > 100)
        for title in titles {
            #expect(rules.matchTitle(title) == rules.matchAnyTitle(title), "\(title)")
        }
        #expect(rules.matchTitle("Men's Leather Dress Shoes") == "shoes" && rules.matchTitle("éDress") == nil)
    }

    @Test func pipelineRulesReplaceTheDefaults() throws {
        let pipeline = try PipelineFile(path: "p.yaml", text: """
            stages:
              ingest:
                catalog: [a.jsonl]
                types:
                  - {type: shoes, categories: [Footwear], title_words: [clogs]}
            """, environment: [:])
        let settings = try pipeline.settings(IngestSettings.self, forStage: "ingest")
        let custom = CoarseTypeRules(rules: try #require(settings.types), ignoredCategories: [])
        #expect(custom.classify(categoryPaths: [["Footwear"]], title: nil) == "shoes")
        #expect(custom.classify(categoryPaths: [["Shoes"]], title: "Wooden clogs") == "shoes")
        #expect(custom.classify(categoryPaths: [["Dresses"]], title: nil) == "other")
    }

    @Test func unknownTypeOrMisspelledRuleKeyIsAUsageError() throws {
        let unknownType = try PipelineFile(path: "p.yaml", text: """
            stages:
              ingest:
                catalog: [a.jsonl]
                types: [{type: sandals, categories: [Sandals]}]
            """, environment: [:])
        #expect(throws: LoomError.self) {
            try unknownType.settings(IngestSettings.self, forStage: "ingest").validate()
        }
        let misspelled = try PipelineFile(path: "p.yaml", text: """
            stages:
              ingest:
                catalog: [a.jsonl]
                types: [{type: shoes, title_word: [clogs]}]
            """, environment: [:])
        #expect {
            _ = try misspelled.settings(IngestSettings.self, forStage: "ingest")
        } throws: { error in
            if case LoomError.usage(_, _, let key) = error { return key == "stages.ingest.types[0].title_word" }
            return false
        }
    }

    @Test func resolvesImagesByAsinThenByURLFileName() throws {
        let folder = TemporaryDirectory("loom-images")
        for name in ["B01.jpg", "B02.PNG", "71abc.jpg", "81xyz._SS40_.png"] {
            _ = FileManager.default.createFile(atPath: folder.file(name), contents: Data([1]))
        }
        let resolver = try ImageResolver(folders: [folder.path])
        #expect(resolver.resolve(asin: "B01", urls: []) == folder.file("B01.jpg"))
        #expect(resolver.resolve(asin: "B02", urls: []) == folder.file("B02.PNG"))
        #expect(resolver.resolve(asin: "B03", urls: ["https://m.media-amazon.com/images/I/71abc._SS40_.jpg?x=1"]) == folder.file("71abc.jpg"))
        #expect(resolver.resolve(asin: "B04", urls: ["https://x/I/81xyz._SS40_.png"]) == folder.file("81xyz._SS40_.png"))
        #expect(resolver.resolve(asin: "B05", urls: ["https://x/I/none.jpg"]) == nil)
    }

    @Test(arguments: [("$1,299.99", 1299.99), ("$10.99 - $15.99", 10.99), ("14.95", 14.95)])
    func parsesPrices(_ text: String, _ expected: Double) {
        let extractor = TruncationPropertyTests.extractor
        #expect(extractor.price(.string(text)) == expected)
    }

    /// ASCII prices are read on bytes, others by Characters; both readings agree where the text
    /// allows, and a digit with a combining mark is one Character, not a digit.
    @Test(arguments: [("Price: 12.5\r\n", 12.5 as Double?), ("€ 7.99", 7.99), ("１２.５ $3", 3), ("3\u{301}4", 4),
                      ("$", nil), ("n/a", nil)])
    func readsPricesOnBytesOrCharacters(_ text: String, _ expected: Double?) {
        #expect(TruncationPropertyTests.extractor.price(.string(text)) == expected)
    }

    @Test func emptyOrNegativePricesAreNull() {
        let extractor = TruncationPropertyTests.extractor
        #expect(extractor.price(.string("")) == nil)
        #expect(extractor.price(.number(-3)) == nil)
        #expect(extractor.price(.null) == nil)
    }
}
