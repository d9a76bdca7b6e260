import Foundation

/// The `candidates` column of `triplets.sqlite`'s `fitb`: a fill-in-the-blank question's item
/// ids as a JSON array (`[12,5,40,7]`), readable by any SQLite client (`json_each`).
public enum CandidateList {
    /// The JSON array of `ids` without spaces, as JSONEncoder writes it, made directly: a large
    /// catalog has millions of questions, and JSONEncoder costs microseconds each.
    public static func encode(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// The ids, or nil when the text is not a JSON array of integers. The lists Loom writes are
    /// read directly (training loads every question); anything else goes through JSONDecoder.
    public static func decode(_ text: String) -> [Int64]? {
        plain(text) ?? (try? JSONDecoder().decode([Int64].self, from: Data(text.utf8)))
    }

    /// `[` integers separated by `,` `]` with no spaces, signs only as `-`, no leading zeros, as
    /// `encode` writes them; nil for anything else.
    static func plain(_ text: String) -> [Int64]? {
        var utf8 = text.utf8[...]
        guard utf8.first == UInt8(ascii: "["), utf8.last == UInt8(ascii: "]") else { return nil }
        utf8 = utf8.dropFirst().dropLast()
        if utf8.isEmpty { return [] }
        var ids: [Int64] = []
        for part in utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            let digits = part.first == UInt8(ascii: "-") ? part.dropFirst() : part
            guard let first = digits.first, first != UInt8(ascii: "0") || digits.count == 1,
                  digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let id = Int64(String(decoding: part, as: UTF8.self)) else { return nil }
            ids.append(id)
        }
        return ids
    }
}
