/// A parsed catalog value, from JSON or from a 2014 Python literal.
enum CatalogValue: Equatable, Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([CatalogValue])
    case object([(String, CatalogValue)])

    static func == (a: CatalogValue, b: CatalogValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): return x == y
        case let (.number(x), .number(y)): return x == y
        case let (.bool(x), .bool(y)): return x == y
        case (.null, .null): return true
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    var string: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var array: [CatalogValue]? {
        if case .array(let values) = self { return values }
        return nil
    }

    /// The value of `key` in an object.
    subscript(key: String) -> CatalogValue? {
        guard case .object(let pairs) = self else { return nil }
        return pairs.first { $0.0 == key }?.1
    }
}
