import Foundation
import GRDB
import LoomCore
import Testing
@testable import LoomIngest

/// Ingest over every file of the real Amazon samples in Resources.
@Suite struct RealCatalogTests {
    @Test func appliances2018GiveAHundredItemsAnd928AlsoBuyEdges() throws {
        let fixture = try IngestFixture(catalog: [IngestFixture.resource("2018_strict_jsonl/meta_Appliances.sample100.json.gz")])
        let items = try fixture.items()
        #expect(items.count == 100)
        #expect(fixture.report.counts["listed_also_bought"] == 928)
        #expect(fixture.report.counts["edges_also_bought"]! <= 928)
        #expect(fixture.report.counts["dangling_edges"]! > 0)
        #expect(fixture.report.rejects == 0)
        #expect(items[0]["asin"] == "7301113188")
        #expect(items[0]["title"] == "Tupperware Freezer Square Round Container Set of 6")
        #expect(items[0]["brand"] == "Tupperware")
        #expect(items[0]["price"] as Double? == nil)
        #expect(items[0]["category"] == "Appliances > Refrigerators, Freezers & Ice Makers")
        #expect(items[0]["line"] == 1)
        // Prices given as "$x.yy" become numbers.
        #expect(items.contains { ($0["price"] as Double?) != nil })
        // Every kept edge points at an item of the catalog.
        let ids = Set(items.map { $0["id"] as Int64 })
        #expect(try fixture.edges().allSatisfy { ids.contains($0["dst"]) && ids.contains($0["src"]) })
    }

    @Test func giftCardsJSONArrayParses() throws {
        let fixture = try IngestFixture(catalog: [IngestFixture.resource("2018_strict_jsonl/meta_Gift_Cards.sample10.as_json_array.json")])
        let items = try fixture.items()
        #expect(items.count == 10)
        #expect(fixture.report.rejects == 0)
        #expect(items[0]["asin"] == "B001BKEWF2")
        #expect(items[0]["title"] == "Serendipity 3 $100.00 Gift Card")
        #expect(items[1]["line"] == 2)
        #expect(items.last?["asin"] == "B002DN7XS4")
    }

    @Test func loose2014LinesParseWithTheirTitlesExactly() throws {
        let fixture = try IngestFixture(catalog: [IngestFixture.resource("2014_loose/meta_lines_from_code_snippets.txt")])
        let items = try fixture.items()
        #expect(items.map { $0["title"] as String } == [
            "Chef Paul Prudhomme's Magic Seasoning Blends ~ Meat Magic, 24-Ounce Canister",
            "100 Percent All Natural Vanilla Extract",
            "Everyday Italian (with Giada de Laurentiis), Volume 1 (3 Pack): Italian Classics, Parties, Holidays",
        ])
        #expect(items.map { $0["asin"] as String } == ["B0000CDBQT", "0657745316", "0000143561"])
        #expect(items[0]["price"] == 14.95)
        #expect(items[0]["brand"] == "Magic Seasoning Blends")
        #expect(items[0]["category"] == "Grocery & Gourmet Food")
        #expect(items[0]["image_url"] == "http://ecx.images-amazon.com/images/I/519AB5ZVFXL._SY300_.jpg")
        #expect((items[1]["description"] as String).contains("they'll want to know your secret"))
        #expect(!(items[1]["description"] as String).contains("\n"))
        #expect(fixture.report.counts["listed_also_bought"] == 29)
        #expect(fixture.report.counts["listed_bought_together"] == 2)
        #expect(fixture.report.counts["listed_also_viewed"] == 47 + 1 + 6)
        #expect(fixture.report.rejects == 0)
    }

    @Test func lines2023GiveItemsWithTheirLargeImageURLs() throws {
        let path = IngestFixture.resource("2023_jsonl/meta_Amazon_Fashion.sample500.jsonl.gz")
        let fixture = try IngestFixture(catalog: [path])
        // The expectation, read independently with Foundation's JSON parser.
        let reader = try LineReader(path: path)
        var expected: [String: String] = [:]
        var order: [String] = []
        while let line = try reader.next() {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            let asin = object["parent_asin"] as! String
            let large = (object["images"] as? [[String: Any]])?.first?["large"] as? String
            if expected[asin] == nil, let large {
                expected[asin] = large
                order.append(asin)
            }
        }
        let items = try fixture.items()
        #expect(items.count == Set(order).count)
        for item in items {
            let asin: String = item["asin"]
            #expect(item["image_url"] == expected[asin], "\(asin)")
        }
        #expect(fixture.report.counts["edges_also_bought"] == 0)
        // Most 2023 fashion lines have no category path; their titles still give a type (the rest
        // are masks, costumes and underwear, which are "other").
        #expect(items.filter { ($0["type"] as String) != "other" }.count > 330)
        #expect(fixture.report.rejectsByReason.keys.allSatisfy { $0 == "duplicate_asin" })
    }

    @Test func reviewLinesAreReadWithoutCrashOrBadRejects() throws {
        let fixture = try IngestFixture(catalog: [IngestFixture.resource("2018_strict_jsonl/reviews.sample100.json")])
        let items = try fixture.items()
        #expect(!items.isEmpty)
        #expect(items.count + fixture.report.rejectsByReason["duplicate_asin", default: 0] == 100)
        #expect(fixture.report.rejectsByReason.keys.allSatisfy { $0 == "duplicate_asin" })
    }
}
