import Foundation
import LoomCore
import LoomTokenizers

/// Text in, sentence embedding out: a `SentenceEncoder` with the WordPiece tokenizer of its own
/// `vocab.txt` (BERT uncased for all-MiniLM-L6-v2), cutting each text at `maximumTokens` ids
/// ([CLS] and [SEP] included). Stage embed and `loom query --text` embed through it alike.
public struct SentenceEmbedder: Sendable {
    public let encoder: SentenceEncoder
    public let tokenizer: WordPieceTokenizer
    public let maximumTokens: Int
    public var dimension: Int { encoder.config.hidden }

    /// The files of a sentence encoder's directory that shape its vectors.
    public static func modelFiles(_ directory: String) -> [String] {
        ["config.json", "model.safetensors", "vocab.txt"].map { (directory as NSString).appendingPathComponent($0) }
    }

    public init(directory: String, maximumTokens: Int) throws {
        guard (2...SentenceEncoder.maximumTokens).contains(maximumTokens) else {
            throw LoomError.usage("the sentence encoder reads 2 to \(SentenceEncoder.maximumTokens) tokens, not \(maximumTokens)",
                                  key: "text_max_tokens")
        }
        encoder = try SentenceEncoder(directory: directory)
        guard maximumTokens <= encoder.config.maxPositions else {
            throw LoomError.usage("text_max_tokens \(maximumTokens) is more than the \(encoder.config.maxPositions) positions of the model in \(directory)",
                                  key: "text_max_tokens")
        }
        let vocabulary = try WordPieceVocabulary(path: (directory as NSString).appendingPathComponent("vocab.txt"))
        guard vocabulary.tokens.count == encoder.config.vocabulary else {
            throw LoomError.badInput(path: directory, position: "vocab.txt",
                                     reason: "\(vocabulary.tokens.count) tokens, but the encoder has \(encoder.config.vocabulary)")
        }
        tokenizer = WordPieceTokenizer(vocabulary: vocabulary)
        self.maximumTokens = maximumTokens
    }

    /// The ids the encoder reads for `text`.
    public func ids(_ text: String) -> [Int32] {
        tokenizer.encode(text, maxLength: maximumTokens).ids
    }

    /// The unit-length embeddings of `texts`, in order.
    public func embed(_ texts: [String], threads: Int = 1) throws -> [[Float]] {
        try encoder.encode(texts.map(ids), threads: threads)
    }
}
