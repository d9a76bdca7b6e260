import Foundation

/// Writes values the way Python's `repr` does, which is what the 2014 Amazon dumps are made of:
/// single-quoted strings, double quotes when the text holds an apostrophe and no double quote,
/// `\'` when it holds both, `\n` escapes.
enum PythonLiteral {
    static func text(_ value: OrderedJSON) -> String {
        switch value {
        case .string(let string): return quote(string)
        case .number(let number): return String(format: "%.2f", number)
        case .integer(let number): return String(number)
        case .bool(let flag): return flag ? "True" : "False"
        case .null: return "None"
        case .array(let values): return "[" + values.map(text).joined(separator: ", ") + "]"
        case .object(let pairs): return "{" + pairs.map { quote($0.0) + ": " + text($0.1) }.joined(separator: ", ") + "}"
        }
    }

    static func quote(_ string: String) -> String {
        let useDouble = string.contains("'") && !string.contains("\"")
        let delimiter: Character = useDouble ? "\"" : "'"
        var out = String(delimiter)
        for character in string {
            switch character {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "'" where !useDouble: out += "\\'"
            default: out.append(character)
            }
        }
        out.append(delimiter)
        return out
    }
}
