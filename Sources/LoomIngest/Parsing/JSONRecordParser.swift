import CLoomKernels
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A JSON parser for one catalog record that builds values only for the fields ingest uses and
/// skips the rest (2018 lines carry tens of kB of HTML in `tech1` that nobody needs): strings are
/// skipped with memchr, never decoded. Strict RFC 8259 otherwise; nesting is limited.
struct JSONRecordParser {
    static let maximumDepth = 64

    private let base: UnsafePointer<UInt8>
    private let end: Int
    private var index = 0
    /// Whether a string held a raw control character (tab, newline …), the one leniency: real
    /// dumps have them, and strict JSON does not allow them.
    private var rawControl: Int32 = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!
        end = bytes.count
    }

    /// Parses a whole record: an object, whose members named in `wanted` are returned in order.
    /// A record that is valid JSON but not an object throws `not_an_object`. `rawControl` is set
    /// when a string held a raw control character.
    static func parseObject(_ bytes: UnsafeBufferPointer<UInt8>, wanted: WantedKeys,
                            rawControl: inout Bool) throws(RecordParseError) -> [(String, CatalogValue)] {
        var parser = JSONRecordParser(bytes)
        defer { rawControl = parser.rawControl != 0 }
        parser.skipWhitespace()
        guard parser.index < parser.end else { throw .json("empty record", at: 0) }
        guard parser.base[parser.index] == UInt8(ascii: "{") else {
            try parser.skipValue(depth: 0)
            parser.skipWhitespace()
            guard parser.index == parser.end else { throw .json("extra data after the value", at: parser.index) }
            throw RecordParseError(reason: IngestRejects.notAnObject, detail: "the record is valid JSON but not an object")
        }
        let fields = try parser.parseTopObject(wanted: wanted)
        parser.skipWhitespace()
        guard parser.index == parser.end else { throw .json("extra data after the object", at: parser.index) }
        return fields
    }

    private mutating func skipWhitespace() {
        while index < end {
            switch base[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws(RecordParseError) {
        skipWhitespace()
        guard index < end, base[index] == byte else {
            throw .json(index < end ? "expected \(what)" : "unexpected end of record, expected \(what)", at: index)
        }
        index += 1
    }

    private mutating func parseTopObject(wanted: WantedKeys) throws(RecordParseError) -> [(String, CatalogValue)] {
        index += 1
        var fields: [(String, CatalogValue)] = []
        skipWhitespace()
        if index < end, base[index] == UInt8(ascii: "}") {
            index += 1
            return fields
        }
        while true {
            skipWhitespace()
            guard index < end, base[index] == UInt8(ascii: "\"") else { throw .json("expected a key string", at: index) }
            let keyStart = index
            let keyEnd = try closingQuote()
            var key = wanted.match(base + keyStart + 1, count: keyEnd - keyStart - 2)
            if key == nil, memchr(base + keyStart + 1, Int32(UInt8(ascii: "\\")), keyEnd - keyStart - 2) != nil {
                // An escaped key (rare): decode it to compare.
                let decoded = try parseString()
                key = wanted.names.contains(decoded) ? decoded : nil
            }
            index = keyEnd
            try expect(UInt8(ascii: ":"), "':'")
            skipWhitespace()
            if let key {
                fields.append((key, try parseValue(depth: 1)))
            } else {
                try skipValue(depth: 1)
            }
            skipWhitespace()
            guard index < end else { throw .json("unexpected end of record inside an object", at: index) }
            if base[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if base[index] == UInt8(ascii: "}") {
                index += 1
                return fields
            }
            throw .json("expected ',' or '}'", at: index)
        }
    }

    private mutating func parseValue(depth: Int) throws(RecordParseError) -> CatalogValue {
        guard depth < JSONRecordParser.maximumDepth else { throw .json("nesting deeper than \(JSONRecordParser.maximumDepth)", at: index) }
        skipWhitespace()
        guard index < end else { throw .json("unexpected end of record, expected a value", at: index) }
        switch base[index] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "{"):
            index += 1
            var pairs: [(String, CatalogValue)] = []
            skipWhitespace()
            if index < end, base[index] == UInt8(ascii: "}") {
                index += 1
                return .object(pairs)
            }
            while true {
                skipWhitespace()
                guard index < end, base[index] == UInt8(ascii: "\"") else { throw .json("expected a key string", at: index) }
                let key = try parseString()
                try expect(UInt8(ascii: ":"), "':'")
                pairs.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard index < end else { throw .json("unexpected end of record inside an object", at: index) }
                if base[index] == UInt8(ascii: ",") { index += 1; continue }
                if base[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
                throw .json("expected ',' or '}'", at: index)
            }
        case UInt8(ascii: "["):
            index += 1
            var values: [CatalogValue] = []
            skipWhitespace()
            if index < end, base[index] == UInt8(ascii: "]") {
                index += 1
                return .array(values)
            }
            while true {
                values.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < end else { throw .json("unexpected end of record inside a list", at: index) }
                if base[index] == UInt8(ascii: ",") { index += 1; continue }
                if base[index] == UInt8(ascii: "]") { index += 1; return .array(values) }
                throw .json("expected ',' or ']'", at: index)
            }
        case UInt8(ascii: "t"):
            try literal("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            return .number(try parseNumber())
        }
    }

    /// Skips a value without building it; validates its syntax all the same.
    private mutating func skipValue(depth: Int) throws(RecordParseError) {
        guard depth < JSONRecordParser.maximumDepth else { throw .json("nesting deeper than \(JSONRecordParser.maximumDepth)", at: index) }
        skipWhitespace()
        guard index < end else { throw .json("unexpected end of record, expected a value", at: index) }
        switch base[index] {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if index < end, base[index] == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                guard index < end, base[index] == UInt8(ascii: "\"") else { throw .json("expected a key string", at: index) }
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < end else { throw .json("unexpected end of record inside an object", at: index) }
                if base[index] == UInt8(ascii: ",") { index += 1; continue }
                if base[index] == UInt8(ascii: "}") { index += 1; return }
                throw .json("expected ',' or '}'", at: index)
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if index < end, base[index] == UInt8(ascii: "]") { index += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard index < end else { throw .json("unexpected end of record inside a list", at: index) }
                if base[index] == UInt8(ascii: ",") { index += 1; continue }
                if base[index] == UInt8(ascii: "]") { index += 1; return }
                throw .json("expected ',' or ']'", at: index)
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(RecordParseError) {
        let length = word.utf8CodeUnitCount
        guard index + length <= end, memcmp(base + index, word.utf8Start, length) == 0 else {
            throw .json("invalid literal", at: index)
        }
        index += length
    }

    private mutating func parseNumber() throws(RecordParseError) -> Double {
        let start = index
        if index < end, base[index] == UInt8(ascii: "-") { index += 1 }
        guard index < end, base[index] >= 0x30, base[index] <= 0x39 else { throw .json("expected a value", at: start) }
        if base[index] == 0x30 {
            index += 1
        } else {
            while index < end, base[index] >= 0x30, base[index] <= 0x39 { index += 1 }
        }
        if index < end, base[index] == UInt8(ascii: ".") {
            index += 1
            guard index < end, base[index] >= 0x30, base[index] <= 0x39 else { throw .json("expected digits after '.'", at: index) }
            while index < end, base[index] >= 0x30, base[index] <= 0x39 { index += 1 }
        }
        if index < end, base[index] == UInt8(ascii: "e") || base[index] == UInt8(ascii: "E") {
            index += 1
            if index < end, base[index] == UInt8(ascii: "+") || base[index] == UInt8(ascii: "-") { index += 1 }
            guard index < end, base[index] >= 0x30, base[index] <= 0x39 else { throw .json("expected exponent digits", at: index) }
            while index < end, base[index] >= 0x30, base[index] <= 0x39 { index += 1 }
        }
        let text = String(decoding: UnsafeBufferPointer(start: base + start, count: index - start), as: UTF8.self)
        return Double(text) ?? .nan
    }

    /// Index just past the closing quote of the string whose opening quote is at `index`.
    /// A quote preceded by an odd run of backslashes is escaped (`loom_json_string_end`, which also
    /// notes raw control characters).
    private mutating func closingQuote() throws(RecordParseError) -> Int {
        let quote = index + 1 + loom_json_string_end(base + index + 1, end - index - 1, &rawControl)
        guard quote < end else { throw .json("unterminated string", at: index) }
        return quote + 1
    }

    /// A skipped string is not decoded, but its escapes are checked: a line with `\x` or `\u12`
    /// in a field nobody reads is still not JSON.
    private mutating func skipString() throws(RecordParseError) {
        let start = index
        index = try closingQuote()
        let length = index - start - 2
        if memchr(base + start + 1, Int32(UInt8(ascii: "\\")), length) != nil {
            try JSONRecordParser.decodeEscapes(UnsafeBufferPointer(start: base + start + 1, count: length), offset: start + 1, into: nil)
        }
    }

    private mutating func parseString() throws(RecordParseError) -> String {
        let start = index
        let after = try closingQuote()
        let contents = UnsafeBufferPointer(start: base + start + 1, count: after - start - 2)
        index = after
        if memchr(base + start + 1, Int32(UInt8(ascii: "\\")), contents.count) == nil {
            guard let text = UTF8Validation.string(contents) else { throw .utf8(at: start) }
            return text
        }
        return try JSONRecordParser.unescape(contents, offset: start + 1)
    }

    /// A string's contents with backslash escapes, decoded and checked as UTF-8 (`offset` places
    /// errors in the record). Also reads back the co-purchase lists `CatalogWriter` stores.
    static func unescape(_ contents: UnsafeBufferPointer<UInt8>, offset: Int) throws(RecordParseError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(contents.count)
        try decodeEscapes(contents, offset: offset, into: &bytes)
        guard let text = bytes.withUnsafeBufferPointer(UTF8Validation.string) else { throw .utf8(at: offset) }
        return text
    }

    /// Decodes a string's backslash escapes into `output`, or only checks them when it is nil.
    static func decodeEscapes(_ contents: UnsafeBufferPointer<UInt8>, offset: Int,
                              into output: UnsafeMutablePointer<[UInt8]>?) throws(RecordParseError) {
        var i = 0
        func hex4(_ at: Int) throws(RecordParseError) -> UInt32 {
            guard at + 4 <= contents.count else { throw .json("short \\u escape", at: offset + at) }
            var value: UInt32 = 0
            for k in 0..<4 {
                let c = contents[at + k]
                let digit: UInt32
                switch c {
                case 0x30...0x39: digit = UInt32(c - 0x30)
                case 0x41...0x46: digit = UInt32(c - 0x41 + 10)
                case 0x61...0x66: digit = UInt32(c - 0x61 + 10)
                default: throw .json("bad hex digit in \\u escape", at: offset + at + k)
                }
                value = value << 4 | digit
            }
            return value
        }
        while i < contents.count {
            let c = contents[i]
            guard c == UInt8(ascii: "\\") else {
                output?.pointee.append(c)
                i += 1
                continue
            }
            guard i + 1 < contents.count else { throw .json("dangling backslash", at: offset + i) }
            let e = contents[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "\""): output?.pointee.append(0x22)
            case UInt8(ascii: "\\"): output?.pointee.append(0x5C)
            case UInt8(ascii: "/"): output?.pointee.append(0x2F)
            case UInt8(ascii: "b"): output?.pointee.append(0x08)
            case UInt8(ascii: "f"): output?.pointee.append(0x0C)
            case UInt8(ascii: "n"): output?.pointee.append(0x0A)
            case UInt8(ascii: "r"): output?.pointee.append(0x0D)
            case UInt8(ascii: "t"): output?.pointee.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar), i + 6 <= contents.count,
                   contents[i] == UInt8(ascii: "\\"), contents[i + 1] == UInt8(ascii: "u") {
                    let low = try hex4(i + 2)
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        i += 6
                    }
                }
                // A lone surrogate (Python's json.dumps writes them) becomes U+FFFD.
                if let output {
                    let decoded = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                    output.pointee.append(contentsOf: Array(String(Character(decoded)).utf8))
                }
            default:
                throw .json("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: offset + i - 2)
            }
        }
    }
}
