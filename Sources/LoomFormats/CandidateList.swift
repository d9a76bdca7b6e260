import Foundation

/// The `candidates` column of `triplets.sqlite`'s `fitb`: a fill-in-the-blank question's item
/// ids as a JSON array (`[12,5,40,7]`), readable by any SQLite client (`json_each`).
public enum CandidateList {
    public static func encode(_ ids: [Int64]) -> String {
        // JSONEncoder writes an array of integers without spaces: `[12,5,40,7]`.
        String(decoding: (try? JSONEncoder().encode(ids)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// The ids, or nil when the text is not a JSON array of integers.
    public static func decode(_ text: String) -> [Int64]? {
        try? JSONDecoder().decode([Int64].self, from: Data(text.utf8))
    }
}
