import Foundation
import LoomCore

/// The kinds of co-purchase edge in `catalog.sqlite`'s `edges.kind`, as ingest writes them and
/// triplets reads them.
public enum EdgeKind: String, NamedChoice {
    case alsoBought = "also_bought"
    case boughtTogether = "bought_together"
    /// A substitute signal (people looked at both), not an outfit one.
    case alsoViewed = "also_viewed"

    public static let kind = "edge kind"

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
        let name = EdgeKind.utf8Names[candidate.index]
        guard name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, text.baseAddress!, name.count) == 0 }) else { return nil }
        self = candidate
    }

    /// Each kind's name as bytes, by `index`.
    private static let utf8Names: [[UInt8]] = allCases.map { Array($0.rawValue.utf8) }
}
