import Foundation
import LoomCore
import Testing
@testable import LoomIngest

/// Any record cut at any byte, or with any byte changed, gives an item or a reject: never a
/// crash, never a hang.
@Suite struct TruncationPropertyTests {
    static let extractor = RecordExtractor(
        types: CoarseTypeRules(rules: CoarseTypeRule.defaults, ignoredCategories: CoarseTypeRule.defaultIgnoredCategories),
        images: try! ImageResolver(folders: []))

    /// Real records of every shape.
    static func records() throws -> [(String, [UInt8])] {
        var records: [(String, [UInt8])] = []
        let loose = try LineReader(path: IngestFixture.resource("2014_loose/meta_lines_from_code_snippets.txt"))
        while let line = try loose.next() { records.append(("2014 line \(loose.lineNumber)", line)) }
        let fashion = try LineReader(path: IngestFixture.resource("2023_jsonl/meta_Amazon_Fashion.sample500.jsonl.gz"))
        for _ in 0..<2 { records.append(("2023 line \(fashion.lineNumber + 1)", try fashion.next()!)) }
        let sample = try LineReader(path: IngestFixture.sample("catalog/meta_2018.jsonl"))
        records.append(("2018 sample line 1", try sample.next()!))
        let array = try RecordReader(path: IngestFixture.resource("2018_strict_jsonl/meta_Gift_Cards.sample10.as_json_array.json"))
        records.append(("gift card element 1", try array.next()!.bytes))
        return records
    }

    static func outcome(_ bytes: [UInt8]) -> String {
        let parsed = bytes.withUnsafeBufferPointer { IngestStage.parse($0, extractor: extractor) }
        switch parsed {
        case .item(_, let rawControl): return rawControl ? "item with raw control characters" : "item"
        case .reject(let error): return error.reason.code
        case .blank: return "blank"
        }
    }

    @Test func everyCutGivesAnItemOrAReject() throws {
        for (name, record) in try TruncationPropertyTests.records() {
            #expect(TruncationPropertyTests.outcome(record) == "item", "\(name) should parse whole")
            var outcomes: [String: Int] = [:]
            for cut in 0..<record.count {
                outcomes[TruncationPropertyTests.outcome(Array(record[..<cut])), default: 0] += 1
            }
            // A cut record is never a valid object, except a cut that only removed trailing whitespace.
            #expect(outcomes["item", default: 0] <= 1, "\(name): \(outcomes)")
            #expect(Set(outcomes.keys).isSubset(of: ["item", "blank", "invalid_json", "invalid_literal", "invalid_utf8"]), "\(name): \(outcomes)")
        }
    }

    @Test func randomByteChangesGiveAnItemOrAReject() throws {
        var random = SeededRandom(seed: 11)
        let allowed: Set<String> = ["item", "item with raw control characters", "blank", "invalid_json", "invalid_literal", "invalid_utf8",
                                     "missing_asin", "not_an_object"]
        for (name, record) in try TruncationPropertyTests.records() {
            for _ in 0..<300 {
                var mutated = record
                for _ in 0..<random.int(in: 1...4) {
                    mutated[random.int(in: 0...(mutated.count - 1))] = UInt8(truncatingIfNeeded: random.next())
                }
                let outcome = TruncationPropertyTests.outcome(mutated)
                #expect(allowed.contains(outcome), "\(name): \(outcome)")
            }
        }
    }
}
