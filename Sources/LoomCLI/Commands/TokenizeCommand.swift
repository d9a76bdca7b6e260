import ArgumentParser
import Foundation
import LoomCore
import LoomText
import LoomTokenizers

/// `loom tokenize`: lines on stdin → WordPiece tokens or ids, to see why a title tokenised oddly.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize", abstract: "Tokenise lines from stdin with BERT WordPiece and print tokens (or JSON with ids).")

    @Option(help: "WordPiece vocabulary (one token per line).")
    var vocab: String = TextSettings.defaultVocabulary

    @Option(help: "Maximum ids per line, [CLS] and [SEP] included.")
    var maxLen: Int = TextSettings.defaults.maxLength

    @Flag(help: "One JSON object per line: {\"tokens\": [...], \"ids\": [...]} (ids with [CLS]/[SEP]).")
    var json = false

    func validate() throws {
        guard maxLen >= 2 else { throw ValidationError("--max-len must be at least 2 ([CLS] and [SEP])") }
    }

    func run() throws {
        try requiringVectorUnits {
            let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: LoomHome.resolve(vocab)))
            while let line = readLine(strippingNewline: true) {
                let encoding = tokenizer.encode(line, maxLength: maxLen)
                let tokens = encoding.ids.map { tokenizer.vocabulary.tokens[Int($0)] }
                if json {
                    let object: [String: Any] = ["tokens": tokens, "ids": encoding.ids.map { Int($0) }, "truncated": encoding.truncated]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    print(tokens.joined(separator: " "))
                }
            }
        }
    }
}
