import ArgumentParser
import LoomCore
import LoomFormats
import LoomTokenizers
import LoomText

/// `loom text` / `loom-text`: catalog titles and descriptions → token ids in work/text.sqlite.
public struct TextCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "text", abstract: "Tokenise each item's text (BERT WordPiece or word-level) into work/text.sqlite.",
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "bert (WordPiece) or word (vocabulary built from training items).")
    var tokenizer: TextSettings.Tokenizer = TextSettings.defaults.tokenizer

    @Option(help: "Vocabulary file (bert: default \(TextSettings.defaultVocabulary); word: reuse this word list).")
    var vocab: String?

    @Option(help: "Ids per item ([CLS] and [SEP] included for bert).")
    var maxLen: Int = TextSettings.defaults.maxLength

    @Option(help: "Catalog fields joined into the text, comma-separated (\(TextField.names.joined(separator: ", "))).")
    var fields: String = TextSettings.defaults.fields.map(\.rawValue).joined(separator: ",")

    @Option(help: "word: minimum count of a word in the training items.")
    var minCount: Int = TextSettings.defaults.minCount

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = TextSettings.defaults
        (settings.tokenizer, settings.vocab, settings.maxLength, settings.minCount) = (tokenizer, vocab, maxLen, minCount)
        settings.fields = try TextField.flagValues(fields, flag: "--fields")
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(TextStage(), settings: settings, work: workOptions.work, global: global)
    }
}
