import Foundation
import LoomCore
import Testing
@testable import LoomIngest

@Suite struct ParserTests {
    func json(_ text: String) throws(RecordParseError) -> [(String, CatalogValue)] {
        let bytes = Array(text.utf8)
        var rawControl = false
        return try bytes.withUnsafeBufferPointer { buffer throws(RecordParseError) in
            try JSONRecordParser.parseObject(buffer, wanted: WantedKeys(["a", "b", "title"]), rawControl: &rawControl)
        }
    }

    func literal(_ text: String) throws(RecordParseError) -> [(String, CatalogValue)] {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer throws(RecordParseError) in try PythonLiteralParser.parseObject(buffer) }
    }

    func reason(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as RecordParseError {
            return error.reason.code
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func keepsWantedKeysAndSkipsTheRest() throws {
        let fields = try json(#"{"skip": {"deep": [1, "x\"y", {"z": null}]}, "a": "A", "tech1": "<p class=\"q\">\\</p>", "b": [1, 2.5e1, true]}"#)
        #expect(fields.map(\.0) == ["a", "b"])
        #expect(fields[0].1 == .string("A"))
        #expect(fields[1].1 == .array([.number(1), .number(25), .bool(true)]))
    }

    @Test func matchesEscapedKeys() throws {
        let fields = try json(#"{"\u0061": "A", "t\u0069tle": "T", "\u0078": 1}"#)
        #expect(fields.map(\.0) == ["a", "title"])
    }

    @Test(arguments: [
        (#"{"a": "caf\u00e9"}"#, "café"),
        (#"{"a": "\ud83d\udc57 dress"}"#, "👗 dress"),
        (#"{"a": "lone \ud800 surrogate"}"#, "lone \u{FFFD} surrogate"),
        (#"{"a": "tab\tquote\"slash\/back\\"}"#, "tab\tquote\"slash/back\\"),
        (#"{"a": "ends with backslash\\"}"#, "ends with backslash\\"),
    ])
    func decodesStringEscapes(_ text: String, _ expected: String) throws {
        #expect(try json(text).first?.1 == .string(expected))
    }

    @Test(arguments: [
        (#"{"a": "x""#, "invalid_json"),
        (#"{"a" "x"}"#, "invalid_json"),
        (#"{"a": tru}"#, "invalid_json"),
        (#"{"a": 01x}"#, "invalid_json"),
        (#"{"a": "x"} trailing"#, "invalid_json"),
        (#"{"a": "bad \q escape"}"#, "invalid_json"),
        ("[1, 2]", "not_an_object"),
        ("42", "not_an_object"),
        ("", "invalid_json"),
    ])
    func rejectsBadJSON(_ text: String, _ expected: String) {
        #expect(reason { _ = try json(text) } == expected)
    }

    @Test func invalidUTF8InAKeptStringIsRejected() {
        var bytes = Array(#"{"title": "bad "#.utf8)
        bytes += [0xC3, 0x28]
        bytes += Array(#""}"#.utf8)
        var rawControl = false
        let code = bytes.withUnsafeBufferPointer { buffer in
            reason { _ = try JSONRecordParser.parseObject(buffer, wanted: WantedKeys(["title"]), rawControl: &rawControl) }
        }
        #expect(code == "invalid_utf8")
    }

    @Test func deepNestingIsARejectNotAStackOverflow() {
        let deep = #"{"a": "# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        #expect(reason { _ = try json(deep) } == "invalid_json")
        #expect(reason { _ = try literal("{'a': " + String(repeating: "[", count: 100_000) + "}") } == "invalid_literal")
        let skipped = #"{"skip": "# + String(repeating: "{\"k\": ", count: 50_000) + "1" + String(repeating: "}", count: 50_000) + "}"
        #expect(reason { _ = try json(skipped) } == "invalid_json")
    }

    @Test func pythonLiteralsOfThe2014Dumps() throws {
        let fields = try literal(#"{'asin': u'B01', 'title': "Women's \"Tee\"", 'd': 'it\'s\nok \xe9\u00e9', 'p': 14.95, 'n': None, 't': True, 'l': ['x', ('y', 2L)], 'e': {}}"#)
        let object = CatalogValue.object(fields)
        #expect(object["asin"] == .string("B01"))
        #expect(object["title"] == .string("Women's \"Tee\""))
        #expect(object["d"] == .string("it's\nok éé"))
        #expect(object["p"] == .number(14.95))
        #expect(object["n"] == .null)
        #expect(object["t"] == .bool(true))
        #expect(object["l"] == .array([.string("x"), .array([.string("y"), .number(2)])]))
        #expect(object["e"] == .object([]))
    }

    @Test(arguments: [
        ("{'a': 'unterminated}", "invalid_literal"),
        ("{'a' 'b'}", "invalid_literal"),
        ("{'a': nope}", "invalid_literal"),
        ("{'a': 1} extra", "invalid_literal"),
        ("{1: 'a'}", "invalid_literal"),
        ("['a']", "not_an_object"),
    ])
    func rejectsBadLiterals(_ text: String, _ expected: String) {
        #expect(reason { _ = try literal(text) } == expected)
    }

    @Test func recognisesPythonLiteralLines() {
        for (text, expected) in [("{'asin'", true), ("{ 'asin'", true), ("{u'asin'", true), ("{\"asin\"", false), ("{}", false)] {
            let bytes = Array(text.utf8)
            #expect(bytes.withUnsafeBufferPointer { IngestStage.isPythonLiteral($0, from: 0) } == expected, "\(text)")
        }
    }
}
