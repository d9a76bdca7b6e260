/// Greedy longest-match-first WordPiece over BERT's pre-tokenised words, with `[CLS] … [SEP]`
/// and truncation that always keeps the final `[SEP]`.
public struct WordPieceTokenizer: Sendable {
    /// Words longer than this many characters become `[UNK]` (HF tokenizers' default, which the
    /// reference ids follow; google-research/bert's tokenization.py uses 200).
    public static let maximumWordCharacters = 100

    public let vocabulary: WordPieceVocabulary
    let basic = BertBasicTokenizer()

    public init(vocabulary: WordPieceVocabulary) {
        self.vocabulary = vocabulary
    }

    /// One encoded text.
    public struct Encoding: Sendable, Equatable {
        /// Ids with `[CLS]` first and `[SEP]` last.
        public var ids: [Int32]
        /// Whether pieces were dropped to fit `maxLength`.
        public var truncated: Bool
    }

    /// The WordPiece tokens of `text`, without `[CLS]`/`[SEP]`.
    public func tokens(_ text: String) -> [String] {
        pieces(text).map { vocabulary.tokens[Int($0)] }
    }

    /// `[CLS] pieces… [SEP]`, at most `maxLength` ids (at least 2).
    public func encode(_ text: String, maxLength: Int) -> Encoding {
        let pieces = pieces(text)
        let room = max(0, maxLength - 2)
        var ids: [Int32] = [vocabulary.classID]
        ids.append(contentsOf: pieces.prefix(room))
        ids.append(vocabulary.separatorID)
        return Encoding(ids: ids, truncated: pieces.count > room)
    }

    /// Piece ids of every word of `text`.
    public func pieces(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for word in basic.words(text) { appendPieces(of: word, to: &ids) }
        return ids
    }

    private func appendPieces(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        guard word.count <= WordPieceTokenizer.maximumWordCharacters else {
            ids.append(vocabulary.unknownID)
            return
        }
        var found: [Int32] = []
        var start = 0
        while start < word.count {
            var end = word.count
            var match: Int32?
            while end > start {
                var candidate = start > 0 ? "##" : ""
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary.id(of: candidate) {
                    match = id
                    break
                }
                end -= 1
            }
            guard let match else {
                ids.append(vocabulary.unknownID)
                return
            }
            found.append(match)
            start = end
        }
        ids.append(contentsOf: found)
    }
}
