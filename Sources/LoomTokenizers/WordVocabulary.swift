import Foundation

/// The word-level tokenizer: BERT's normalisation and splitting (lower case, accents stripped,
/// punctuation as tokens), whole words as tokens, `[PAD]` = 0 and `[UNK]` = 1. The vocabulary is
/// built from training items: words seen at least `minCount` times, most frequent first, ties
/// by word, so the ids are stable for the same training text.
public struct WordVocabulary: Sendable {
    public static let padding: Int32 = 0
    public static let unknown: Int32 = 1

    public let tokens: [String]
    private let ids: [String: Int32]
    private let basic = BertBasicTokenizer()

    public init(tokens: [String]) {
        self.tokens = tokens
        var ids: [String: Int32] = [:]
        for (index, token) in tokens.enumerated() where ids[token] == nil { ids[token] = Int32(index) }
        self.ids = ids
    }

    /// Counts the words of `texts` and keeps those seen `minCount` times or more.
    public static func build(from texts: some Sequence<String>, minCount: Int) -> WordVocabulary {
        let basic = BertBasicTokenizer()
        var counts: [String: Int] = [:]
        for text in texts {
            for word in basic.words(text) { counts[String(String.UnicodeScalarView(word)), default: 0] += 1 }
        }
        let kept = counts.filter { $0.value >= minCount }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        return WordVocabulary(tokens: ["[PAD]", "[UNK]"] + kept.map(\.key))
    }

    /// Word ids of `text`, at most `maxLength`, and whether words were dropped.
    public func encode(_ text: String, maxLength: Int) -> (ids: [Int32], truncated: Bool) {
        let words = basic.words(text)
        let ids = words.prefix(maxLength).map { self.ids[String(String.UnicodeScalarView($0))] ?? WordVocabulary.unknown }
        return (ids, words.count > maxLength)
    }
}
