import Foundation

/// The `candidates` column of `triplets.sqlite`'s `fitb`: a fill-in-the-blank question's item
/// ids as a JSON array (`[12,5,40,7]`), readable by any SQLite client (`json_each`).
public enum CandidateList {
    /// The JSON array of `ids` without spaces, as JSONEncoder writes it, made directly: a large
    /// catalog has millions of questions, and JSONEncoder costs microseconds each.
    public static func encode(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// The ids, or nil when the text is not a JSON array of integers.
    public static func decode(_ text: String) -> [Int64]? {
        try? JSONDecoder().decode([Int64].self, from: Data(text.utf8))
    }
}
