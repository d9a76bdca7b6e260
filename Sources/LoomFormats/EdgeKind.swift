import Foundation

/// The kinds of co-purchase edge in `catalog.sqlite`'s `edges.kind`, as ingest writes them and
/// triplets reads them.
public enum EdgeKind: String, CaseIterable, Codable, Sendable {
    case alsoBought = "also_bought"
    case boughtTogether = "bought_together"
    /// A substitute signal (people looked at both), not an outfit one.
    case alsoViewed = "also_viewed"

    /// Decoded from its name; an unknown name is an error that lists the known ones (a pipeline
    /// file's `kinds:` reports it with the key and line).
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let kind = EdgeKind(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown edge kind '\(name)' (known: \(EdgeKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self = kind
    }

    /// Position in `allCases`: a small integer for per-kind tables.
    public var index: Int {
        switch self {
        case .alsoBought: 0
        case .boughtTogether: 1
        case .alsoViewed: 2
        }
    }

    /// The kind spelled by the bytes of an `edges.kind` value, without making a String (the
    /// triplets stage reads tens of millions of edges): the length and one letter pick the one
    /// candidate, which is then compared whole.
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        let candidate: EdgeKind
        switch text.count {
        case 11 where text[5] == UInt8(ascii: "b"): candidate = .alsoBought
        case 11: candidate = .alsoViewed
        case 15: candidate = .boughtTogether
        default: return nil
        }
        let name = EdgeKind.names[candidate.index].1
        guard name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, text.baseAddress!, name.count) == 0 }) else { return nil }
        self = candidate
    }

    private static let names: [(EdgeKind, [UInt8])] = allCases.map { ($0, Array($0.rawValue.utf8)) }
}
