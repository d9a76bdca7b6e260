import Foundation
import LoomCore
import Testing
@testable import LoomIngest

/// JSONTestSuite's parsing cases through the record parser, each single-line document as the value
/// of a field ingest skips and as a kept field's (`description`): every valid document gives an
/// item, every invalid one a reject, nothing crashes. The one leniency: raw control characters
/// (tab, newline, others) inside strings, which real dumps contain: such a line is an item that the
/// parser marks, and ingest counts (`lines_with_raw_control_characters`).
@Suite struct JSONConformanceTests {
    static let lenient: Set<String> = ["n_string_unescaped_tab.json", "n_string_unescaped_ctrl_char.json", "n_string_unescaped_newline.json"]

    static func documents() throws -> [(name: String, bytes: [UInt8])] {
        let folder = IngestFixture.resource("jsontestsuite/test_parsing")
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().compactMap { name in
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
            // A catalog line holds one document: the multi-line ones (ten) cannot be a field's value.
            var body = bytes[...]
            while let last = body.last, last == 0x0A || last == 0x0D { body = body.dropLast() }
            return body.contains(0x0A) || body.contains(0x0D) ? nil : (name, Array(body))
        }
    }

    static func line(_ document: [UInt8], as field: String) -> [UInt8] {
        Array(#"{"asin": "B000JSONTS", "title": "a conformance case", ""#.utf8) + Array(field.utf8) + Array(#"": "#.utf8)
            + document + Array("}".utf8)
    }

    @Test func validDocumentsAreItemsAndInvalidOnesRejects() throws {
        let documents = try Self.documents()
        #expect(documents.count >= 300)
        var wrong: [String] = []
        for (name, document) in documents {
            for field in ["skipped_field", "description"] {
                let outcome = TruncationPropertyTests.outcome(Self.line(document, as: field))
                if name.hasPrefix("y_"), outcome != "item" { wrong.append("\(name) as \(field): \(outcome), expected an item") }
                if Self.lenient.contains(name) {
                    if outcome != "item with raw control characters" {
                        wrong.append("\(name) as \(field): \(outcome), expected an item marked for its raw control characters")
                    }
                } else if name.hasPrefix("n_"), outcome.hasPrefix("item") {
                    wrong.append("\(name) as \(field): accepted, expected a reject")
                }
            }
        }
        #expect(wrong.isEmpty, "\(wrong.count) cases: \(wrong.joined(separator: "; "))")
    }
}
