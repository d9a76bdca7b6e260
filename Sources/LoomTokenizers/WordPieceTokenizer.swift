import Foundation

/// Greedy longest-match-first WordPiece over BERT's pre-tokenised words, with `[CLS] … [SEP]`
/// and truncation that always keeps the final `[SEP]`.
///
/// Text is normalised, split and matched on its UTF-8 bytes in one pass: ASCII through a
/// byte-class table, other characters one by one, pieces through the vocabulary trie. Text with
/// combining characters that survive accent stripping goes through `BertBasicTokenizer` (NFD of
/// the whole string) instead. Both paths give the same pieces.
public struct WordPieceTokenizer: Sendable {
    /// Words longer than this many characters become `[UNK]` (HF tokenizers' default, which the
    /// reference ids follow; google-research/bert's tokenization.py uses 200).
    public static let maximumWordCharacters = 100

    public let vocabulary: WordPieceVocabulary
    let basic = BertBasicTokenizer()
    let trie: WordPieceTrie
    let normalisation = ScalarNormalisation()

    public init(vocabulary: WordPieceVocabulary) {
        self.vocabulary = vocabulary
        trie = WordPieceTrie(tokens: vocabulary.tokens)
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
        ids.reserveCapacity(min(pieces.count, room) + 2)
        ids.append(contentsOf: pieces.prefix(room))
        ids.append(vocabulary.separatorID)
        return Encoding(ids: ids, truncated: pieces.count > room)
    }

    /// Piece ids of every word of `text`.
    public func pieces(_ text: String) -> [Int32] {
        var text = text
        return text.withUTF8 { bytes in
            var ids: [Int32] = []
            ids.reserveCapacity(bytes.count / 3 + 4)
            if !appendPiecesFast(bytes, to: &ids) {
                ids.removeAll(keepingCapacity: true)
                for word in basic.words(String(decoding: bytes, as: UTF8.self)) {
                    var utf8: [UInt8] = []
                    for scalar in word { utf8.append(contentsOf: String(Character(scalar)).utf8) }
                    utf8.withUnsafeBufferPointer { appendPieces(of: $0, characters: word.count, to: &ids) }
                }
            }
            return ids
        }
    }

    /// What BERT's normaliser does to each ASCII byte.
    enum ByteClass: UInt8 {
        case drop, space, punctuation, word
    }

    static let byteClasses: [ByteClass] = (0..<128).map { value -> ByteClass in
        switch value {
        case 0x09, 0x0A, 0x0D, 0x20: return .space
        case 0..<0x20, 0x7F: return .drop
        case 33...47, 58...64, 91...96, 123...126: return .punctuation
        default: return .word
        }
    }

    /// The fast path over UTF-8 bytes: ASCII through the byte-class table, other characters
    /// normalised one by one (NFD, drop nonspacing marks, lower-case). False, with `ids` partly
    /// filled, when a character with a nonzero combining class remains: canonical reordering
    /// across characters could then matter, and the whole-string path must run.
    private func appendPiecesFast(_ bytes: UnsafeBufferPointer<UInt8>, to ids: inout [Int32]) -> Bool {
        var word = [UInt8]()
        word.reserveCapacity(64)
        var characters = 0
        var index = 0
        let count = bytes.count
        func flush() {
            guard !word.isEmpty else { return }
            word.withUnsafeBufferPointer { appendPieces(of: $0, characters: characters, to: &ids) }
            word.removeAll(keepingCapacity: true)
            characters = 0
        }
        func appendScalar(_ scalar: Unicode.Scalar) {
            UTF8.encode(scalar) { word.append($0) }
            characters += 1
        }
        return WordPieceTokenizer.byteClasses.withUnsafeBufferPointer { classes in
            while index < count {
                let byte = bytes[index]
                if byte < 0x80 {
                    index += 1
                    switch classes[Int(byte)] {
                    case .word:
                        word.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
                        characters += 1
                    case .space: flush()
                    case .punctuation:
                        flush()
                        word.append(byte)
                        characters = 1
                        flush()
                    case .drop: continue
                    }
                    continue
                }
                let (scalar, length) = WordPieceTokenizer.decodeScalar(bytes, at: index)
                index += length
                if scalar.value == 0xFFFD || BertBasicTokenizer.isControl(scalar) { continue }
                if BertBasicTokenizer.isWhitespace(scalar) {
                    flush()
                    continue
                }
                let cjk = BertBasicTokenizer.isCJK(scalar)
                if cjk { flush() }
                let (normalised, reorders) = normalisation.normalise(scalar)
                if reorders { return false }
                for character in normalised {
                    if BertBasicTokenizer.isWhitespace(character) {
                        flush()
                    } else if BertBasicTokenizer.isPunctuation(character) {
                        flush()
                        appendScalar(character)
                        flush()
                    } else {
                        appendScalar(character)
                    }
                }
                if cjk { flush() }
            }
            flush()
            return true
        }
    }

    /// The scalar starting at `index` of valid UTF-8, and its length in bytes.
    static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (Unicode.Scalar, Int) {
        let lead = UInt32(bytes[index])
        let length = lead >= 0xF0 ? 4 : (lead >= 0xE0 ? 3 : 2)
        var value = lead & (length == 2 ? 0x1F : (length == 3 ? 0x0F : 0x07))
        for offset in 1..<length where index + offset < bytes.count {
            value = value << 6 | (UInt32(bytes[index + offset]) & 0x3F)
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    /// Greedy longest-match-first pieces of one word; `[UNK]` alone when any part has no piece.
    private func appendPieces(of word: UnsafeBufferPointer<UInt8>, characters: Int, to ids: inout [Int32]) {
        guard characters <= WordPieceTokenizer.maximumWordCharacters else {
            ids.append(vocabulary.unknownID)
            return
        }
        let before = ids.count
        var start = 0
        while start < word.count {
            guard let piece = trie.longestPiece(in: word, from: start, continuation: start > 0) else {
                ids.removeLast(ids.count - before)
                ids.append(vocabulary.unknownID)
                return
            }
            ids.append(piece.id)
            start = piece.end
        }
    }
}
