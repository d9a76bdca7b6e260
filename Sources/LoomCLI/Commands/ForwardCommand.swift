import ArgumentParser
import Foundation
import LoomCore
import LoomImages
import LoomInference
import LoomText

/// `loom forward`: the embedding of one item given by hand, to check a model or an image.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward", abstract: "Print the embedding of one item (an image file and/or a title).",
        discussion: """
            The text is tokenised with the model's vocab.txt. An image that already has the model's input size is \
            used as it is; any other goes through the images stage's resize (shorter side 256) and centre crop.
            """)

    @Option(help: "Model directory.")
    var model: String = "Models/loomnet-v1"

    @Option(help: "Image file (JPEG or PNG).")
    var image: String?

    @Option(help: "The item's text (title, description).")
    var text: String?

    @Option(help: "Worker threads (0: all cores).")
    var threads: Int = 0

    @Flag(help: "One JSON object: embedding, token ids, which towers ran.")
    var json = false

    func validate() throws {
        guard image != nil || text != nil else { throw ValidationError("give --image, --text or both") }
    }

    func run() throws {
        try reportingErrors {
            let network = try LoomNet(directory: model)
            let config = network.config
            var tokens: [Int32] = []
            if let text {
                let vocab = (model as NSString).appendingPathComponent("vocab.txt")
                let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: vocab))
                tokens = tokenizer.encode(text, maxLength: config.text.maxLen).ids
            }
            var pixels: [UInt8]?
            if let image {
                let (bytes, readError) = ImagesStage.read(image)
                guard let bytes else { throw LoomError.inputMissing(path: image, reason: readError?.message ?? "cannot read") }
                do throws(ImageError) {
                    pixels = try ImageNormalizer(size: config.imageSize).modelInput(bytes)
                } catch {
                    throw LoomError.badInput(path: image, position: nil, reason: "\(error.rejectReason): \(error.message)")
                }
            }
            let output = try network.forward([LoomNet.Input(pixels: pixels, tokens: tokens)],
                                             threads: threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount)[0]
            if json {
                let object: [String: Any] = [
                    "embedding": output.embedding.map(Double.init), "token_ids": tokens.map(Int.init),
                    "image": pixels != nil, "text": !tokens.isEmpty, "model": model,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(output.embedding.map { String(format: "%.6f", $0) }.joined(separator: " "))
            }
        }
    }
}
