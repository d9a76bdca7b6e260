import ArgumentParser
import Foundation
import LoomCore
import LoomEmbed
import LoomInference
import LoomTokenizers

/// `loom forward`: the embedding of one item given by hand, to check a model or an image.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "Print the embedding of one item (an image file and/or a title).",
        discussion: """
            The text is tokenised with the model's vocab.txt. An image that already has the model's input size is \
            used as it is; any other goes through the images stage's resize (shorter side 256) and centre crop. \
            A sentence encoder (--model Models/minilm-l6-v2) embeds --text alone: 384 floats, unit length.
            """)

    @Option(help: "Model directory.")
    var model: String = EmbedSettings.defaultModel

    @Option(help: "Image file (JPEG or PNG).")
    var image: String?

    @Option(help: "The item's text (title, description).")
    var text: String?

    @Option(help: "The backbone's 1×1 convolutions: fp32, or int8 (as the features stage with precision int8).")
    var precision: BackbonePrecision = .fp32

    @Option(help: "Worker threads (0: all cores).")
    var threads: Int = 0

    @Flag(help: "One JSON object: embedding, token ids, which towers ran.")
    var json = false

    func validate() throws {
        guard image != nil || text != nil else { throw ValidationError("give --image, --text or both") }
    }

    func run() throws {
        try requiringVectorUnits {
            let model = LoomHome.resolve(self.model)
            if SentenceEncoder.isSentenceEncoder(directory: model) {
                try encodeSentence(model: model)
                return
            }
            let network = try LoomNet(directory: model, backbonePrecision: precision)
            let item = try NewItemInput(config: network.config, modelDirectory: model).input(image: image, text: text)
            let (pixels, tokens) = (item.pixels, item.tokens)
            let output = try network.forward([item],
                                             threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)[0]
            if json {
                let object: [String: Any] = [
                    "embedding": output.embedding.map(Double.init), "token_ids": tokens.map(Int.init),
                    "image": pixels != nil, "text": !tokens.isEmpty, "model": model, "backbone": precision.rawValue,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(output.embedding.map { String(format: "%.6f", $0) }.joined(separator: " "))
            }
        }
    }

    /// `--text` through a BERT sentence encoder: WordPiece with the model's vocab.txt, at most
    /// `SentenceEncoder.maximumTokens` ids, mean-pooled and normalised.
    func encodeSentence(model: String) throws {
        guard let text, image == nil else { throw LoomError.usage("a sentence encoder embeds --text only") }
        let encoder = try SentenceEncoder(directory: model)
        let vocabulary = try WordPieceVocabulary(path: (model as NSString).appendingPathComponent("vocab.txt"))
        let tokens = WordPieceTokenizer(vocabulary: vocabulary).encode(text, maxLength: SentenceEncoder.maximumTokens)
        let embedding = try encoder.encode([tokens.ids], threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)[0]
        if json {
            let object: [String: Any] = [
                "embedding": embedding.map(Double.init), "token_ids": tokens.ids.map(Int.init), "truncated": tokens.truncated,
                "text": true, "image": false, "model": model,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(embedding.map { String(format: "%.6f", $0) }.joined(separator: " "))
        }
    }
}
