import Foundation

/// A JSON value whose object keys keep the order they were given in, so generated catalog lines
/// look like the real dumps (and are the same bytes every time).
indirect enum OrderedJSON {
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case null
    case array([OrderedJSON])
    case object([(String, OrderedJSON)])

    static func strings(_ values: [String]) -> OrderedJSON { .array(values.map { .string($0) }) }

    /// Compact JSON with ", " and ": " separators, as Python's json.dumps writes the Amazon dumps.
    var text: String {
        switch self {
        case .string(let value): return OrderedJSON.quote(value)
        case .number(let value): return String(format: "%.2f", value)
        case .integer(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values): return "[" + values.map(\.text).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { OrderedJSON.quote($0.0) + ": " + $0.1.text }.joined(separator: ", ") + "}"
        }
    }

    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
