/// A parser for the 2014 Amazon dump lines, which are Python literals written by `repr`, not
/// JSON: strings in single quotes (or double quotes when they contain an apostrophe), optional
/// `u`/`b` prefixes, backslash escapes (`\'`, `\n`, `\xHH`, `\uHHHH`, …), `True`/`False`/`None`,
/// dicts, lists and tuples. Nothing is evaluated.
struct PythonLiteralParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Parses a record that must be a dict.
    static func parseObject(_ bytes: UnsafeBufferPointer<UInt8>) throws(RecordParseError) -> [(String, CatalogValue)] {
        var parser = PythonLiteralParser(bytes)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw .literal("extra data after the dict", at: parser.index) }
        guard case .object(let pairs) = value else {
            throw RecordParseError(reason: IngestRejects.notAnObject, detail: "the record is a Python literal but not a dict")
        }
        return pairs
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A || bytes[index] == 0x0D {
            index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(RecordParseError) -> CatalogValue {
        guard depth < JSONRecordParser.maximumDepth else { throw .literal("nesting deeper than \(JSONRecordParser.maximumDepth)", at: index) }
        skipWhitespace()
        guard index < bytes.count else { throw .literal("unexpected end of record, expected a value", at: index) }
        let c = bytes[index]
        switch c {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "u"), UInt8(ascii: "b"), UInt8(ascii: "U"), UInt8(ascii: "B"):
            if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "'") || bytes[index + 1] == UInt8(ascii: "\"") {
                index += 1
                return .string(try parseString())
            }
            throw .literal("unexpected name", at: index)
        case UInt8(ascii: "{"):
            index += 1
            var pairs: [(String, CatalogValue)] = []
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw .literal("unexpected end of record inside a dict", at: index) }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
                let keyValue = try parseValue(depth: depth + 1)
                guard case .string(let key) = keyValue else { throw .literal("dict keys must be strings", at: index) }
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw .literal("expected ':'", at: index) }
                index += 1
                pairs.append((key, try parseValue(depth: depth + 1)))
                skipWhitespace()
                guard index < bytes.count else { throw .literal("unexpected end of record inside a dict", at: index) }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(pairs) }
                throw .literal("expected ',' or '}'", at: index)
            }
        case UInt8(ascii: "["), UInt8(ascii: "("):
            let close = c == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: ")")
            index += 1
            var values: [CatalogValue] = []
            while true {
                skipWhitespace()
                guard index < bytes.count else { throw .literal("unexpected end of record inside a list", at: index) }
                if bytes[index] == close { index += 1; return .array(values) }
                values.append(try parseValue(depth: depth + 1))
                skipWhitespace()
                guard index < bytes.count else { throw .literal("unexpected end of record inside a list", at: index) }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == close { index += 1; return .array(values) }
                throw .literal("expected ',' or '\(Character(Unicode.Scalar(close)))'", at: index)
            }
        case UInt8(ascii: "T"):
            try word("True")
            return .bool(true)
        case UInt8(ascii: "F"):
            try word("False")
            return .bool(false)
        case UInt8(ascii: "N"):
            try word("None")
            return .null
        default:
            return .number(try parseNumber())
        }
    }

    private mutating func word(_ text: String) throws(RecordParseError) {
        let utf8 = Array(text.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
            throw .literal("unexpected name", at: index)
        }
        index += utf8.count
    }

    private mutating func parseNumber() throws(RecordParseError) -> Double {
        let start = index
        while index < bytes.count {
            let c = bytes[index]
            let isNumberByte = (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "L")
            guard isNumberByte else { break }
            index += 1
        }
        var text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if text.hasSuffix("L") { text.removeLast() }  // Python 2 long
        guard !text.isEmpty, let value = Double(text) else {
            throw .literal(index == start ? "expected a value" : "bad number '\(text)'", at: start)
        }
        return value
    }

    private mutating func parseString() throws(RecordParseError) -> String {
        let quote = bytes[index]
        let start = index
        index += 1
        var out: [UInt8] = []
        while index < bytes.count {
            let c = bytes[index]
            if c == quote {
                index += 1
                guard let text = out.withUnsafeBufferPointer(UTF8Validation.string) else { throw .utf8(at: start) }
                return text
            }
            if c == 0x0A { throw .literal("newline inside a string", at: index) }
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                index += 1
                continue
            }
            guard index + 1 < bytes.count else { throw .literal("dangling backslash", at: index) }
            let e = bytes[index + 1]
            index += 2
            switch e {
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "'"): out.append(0x27)
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let digits = e == UInt8(ascii: "x") ? 2 : (e == UInt8(ascii: "u") ? 4 : 8)
                guard index + digits <= bytes.count,
                      let value = UInt32(String(decoding: UnsafeBufferPointer(rebasing: bytes[index..<(index + digits)]), as: UTF8.self), radix: 16) else {
                    throw .literal("bad \\\(Character(Unicode.Scalar(e))) escape", at: index - 2)
                }
                index += digits
                let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                // Python keeps unknown escapes as written.
                out.append(0x5C)
                out.append(e)
            }
        }
        throw .literal("unterminated string", at: start)
    }
}
