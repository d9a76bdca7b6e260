/// `${VAR}` and `${VAR:-default}` in pipeline values, expanded from the environment so a cron
/// job can point one pipeline file at tonight's dump. An unset variable without a default is a
/// usage error, never silently empty.
enum EnvironmentExpansion {
    static func expand(_ text: String, environment: [String: String]) throws -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw LoomError.usage("unterminated '${' in '\(text)'")
            }
            let body = rest[open.upperBound..<close]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard !name.isEmpty, name.allSatisfy({ $0 == "_" || $0.isLetter || $0.isNumber }) else {
                throw LoomError.usage("bad variable name '\(name)' in '\(text)'")
            }
            if let value = environment[String(name)], !value.isEmpty {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                throw LoomError.usage("environment variable \(name) is not set (use ${\(name):-default} for a default)")
            }
            rest = rest[rest.index(after: close)...]
        }
        result += rest
        return result
    }
}
