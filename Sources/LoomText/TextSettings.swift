import Foundation
import LoomCore
import LoomFormats

/// Settings of the text stage (`stages.text` in a pipeline file).
public struct TextSettings: StageSettings {
    public static let pathKeys: Set<String> = ["vocab"]
    public static let bundledPathKeys: Set<String> = ["vocab"]
    public enum Tokenizer: String, Codable, Sendable, CaseIterable {
        case bert, word
    }

    public var tokenizer: Tokenizer
    /// WordPiece vocabulary for `bert`; for `word`, an existing word list to reuse (else built).
    public var vocab: String?
    /// Ids per item: `[CLS]` and `[SEP]` included for `bert`.
    public var maxLength: Int
    /// Catalog fields joined, in this order, into the text of an item.
    public var fields: [TextField]
    /// `word`: a word must occur this often in the training items to get an id.
    public var minCount: Int
    /// `word`: the share of items (by asin and seed) whose text builds the vocabulary; the triplet
    /// split uses the same rule, so no valid or test item shapes the vocabulary. In a pipeline it
    /// is triplets' `train_fraction` (`sharedKeys`).
    public var trainFraction: Double
    public var maxRejectRatio: Double

    public static let defaultVocabulary = "Models/wordpiece/vocab.txt"
    public static let defaults = TextSettings(tokenizer: .bert, vocab: nil, maxLength: 64, fields: [.title, .description],
                                              minCount: 2, trainFraction: ItemSplit.defaultTrainFraction,
                                              maxRejectRatio: 0.05)

    public static let sharedKeys = ["train_fraction": "triplets"]

    enum CodingKeys: String, CodingKey {
        case tokenizer, vocab, fields
        case maxLength = "max_len"
        case minCount = "min_count"
        case trainFraction = "train_fraction"
        case maxRejectRatio = "max_reject_ratio"
    }

    /// The vocabulary file this run reads, if any (the bundled one from Loom's home).
    var vocabularyPath: String? {
        tokenizer == .bert ? (vocab ?? LoomHome.resolve(TextSettings.defaultVocabulary)) : vocab
    }

    /// A vocabulary given by path from Loom's home when it is not found from here.
    public func resolvingBundledPaths() -> Self {
        var resolved = self
        resolved.vocab = vocab.map { LoomHome.resolve($0) }
        return resolved
    }

    /// What the stored ids depend on besides an item's text: the stage's computation, every
    /// setting but the reject limit, and the vocabulary's content.
    func reuseKey(vocabularyHash: String) throws -> String {
        var shaping = self
        shaping.maxRejectRatio = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return "\(TextStage.algorithm) vocab \(vocabularyHash) " + String(decoding: try encoder.encode(shaping), as: UTF8.self)
    }

    func validate() throws {
        guard maxLength >= (tokenizer == .bert ? 2 : 1), maxLength <= 65_536 else {
            throw LoomError.usage("max_len must be between \(tokenizer == .bert ? 2 : 1) and 65536, got \(maxLength)", key: "max_len")
        }
        guard !fields.isEmpty else { throw LoomError.usage("fields must name at least one field", key: "fields") }
        guard minCount >= 1 else { throw LoomError.usage("min_count must be at least 1", key: "min_count") }
        guard trainFraction > 0, trainFraction <= 1 else { throw LoomError.usage("train_fraction must be in (0, 1]", key: "train_fraction") }
    }
}
