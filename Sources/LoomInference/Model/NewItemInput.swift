import Foundation
import LoomCore
import LoomImaging
import LoomTokenizers

/// A hand-given item (an image file, a title) as the network's input (`loom query`, `loom
/// forward`): the image through the images stage's resize and crop (used as it is when it
/// already has the model's size), the text tokenised with the model directory's `vocab.txt`.
/// The vocabulary is read once, on first use.
public final class NewItemInput {
    public let config: LoomNetConfig
    public let modelDirectory: String
    private var tokenizer: WordPieceTokenizer?

    public init(config: LoomNetConfig, modelDirectory: String) {
        self.config = config
        self.modelDirectory = modelDirectory
    }

    public func input(image: String?, text: String?) throws -> LoomNet.Input {
        var tokens: [Int32] = []
        if let text {
            if tokenizer == nil {
                let vocab = (modelDirectory as NSString).appendingPathComponent("vocab.txt")
                tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: vocab))
            }
            tokens = tokenizer!.encode(text, maxLength: config.text.maxLen).ids
        }
        var pixels: [UInt8]?
        if let image {
            let (bytes, readError) = ImageFile.read(image)
            guard let bytes else { throw LoomError.inputMissing(path: image, reason: readError?.message ?? "cannot read") }
            do throws(ImageError) {
                pixels = try ImageNormalizer(size: config.imageSize).modelInput(bytes)
            } catch {
                throw LoomError.badInput(path: image, position: nil, reason: "\(error.rejectReason): \(error.message)")
            }
        }
        return LoomNet.Input(pixels: pixels, tokens: tokens)
    }
}
