import Foundation

/// A closed set of named choices in settings (edge kinds, weight factors): decoded by name, where
/// an unknown name is a decoding error that lists the known ones, so a pipeline file's typo is
/// reported with its key, its line and what it could have been.
public protocol NamedChoice: RawRepresentable, CaseIterable, Codable, Sendable where RawValue == String {
    /// What one choice is called in messages ("edge kind").
    static var kind: String { get }
}

extension NamedChoice {
    /// The names, in declaration order.
    public static var names: [String] { allCases.map(\.rawValue) }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let choice = Self(rawValue: name) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.unknown(name))
        }
        self = choice
    }

    /// "unknown edge kind 'x' (known: a, b, c)".
    public static func unknown(_ name: String) -> String {
        "unknown \(kind) '\(name)' (known: \(names.joined(separator: ", ")))"
    }

    /// The choices of a comma-separated list (a command-line flag), or the first name that is none.
    public static func list(_ text: String) -> (choices: [Self], unknown: String?) {
        var choices: [Self] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard let choice = Self(rawValue: name) else { return (choices, name) }
            choices.append(choice)
        }
        return (choices, nil)
    }
}
