import ArgumentParser
import LoomCore
import LoomTokenizers
import LoomText

/// `loom text` / `loom-text`: catalog titles and descriptions → token ids in work/text.sqlite.
public struct TextCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Tokenise each item's text (BERT WordPiece or word-level) into work/text.sqlite.",
        version: LoomVersion.current)

    @Option(help: "The work directory (reads catalog.sqlite).")
    var work: String = "work"

    @Option(help: "bert (WordPiece) or word (vocabulary built from training items).")
    var tokenizer: String = "bert"

    @Option(help: "Vocabulary file (bert: default Models/wordpiece/vocab.txt; word: reuse this word list).")
    var vocab: String?

    @Option(help: "Ids per item ([CLS] and [SEP] included for bert).")
    var maxLen: Int = 64

    @Option(help: "Catalog fields joined into the text: title, description, brand, category.")
    var fields: String = "title,description"

    @Option(help: "word: minimum count of a word in the training items.")
    var minCount: Int = 2

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        guard let kind = TextSettings.Tokenizer(rawValue: tokenizer) else {
            throw ValidationError("--tokenizer must be bert or word")
        }
        let settings = TextSettings(tokenizer: kind, vocab: vocab, maxLength: maxLen,
                                    fields: fields.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) },
                                    minCount: minCount, trainFraction: TextSettings.defaults.trainFraction,
                                    maxRejectRatio: TextSettings.defaults.maxRejectRatio)
        try StageCommandRunner.run(TextStage(), settings: settings, work: work, global: global)
    }
}
