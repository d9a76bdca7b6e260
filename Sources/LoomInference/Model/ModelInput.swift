import Foundation
import LoomCore
import LoomFormats
import LoomImaging
import LoomTokenizers

/// What the work directory holds for an item, turned into LoomNet's input (train and embed both
/// read items this way), and the checks that a model can read the work directory's ids at all.
public enum ModelInput {
    public static let noInputs = RejectReason("no_image_or_text", countsTowardLimit: false)
    public static let badImage = RejectReason("bad_stored_image")
    public static let badTokens = RejectReason("bad_token_ids")

    public enum Prepared: Sendable {
        case input(LoomNet.Input)
        case reject(RejectReason, String)
    }

    /// Decodes the stored image and checks the ids; a problem with one item rejects that item only.
    public static func prepare(_ item: WorkItem, config: LoomNetConfig) -> Prepared {
        let size = config.imageSize
        var pixels: [UInt8]?
        if let image = item.image {
            guard image.width == size, image.height == size else {
                return .reject(badImage, "stored image is \(image.width)×\(image.height); the model takes \(size)×\(size) (rerun images with size \(size))")
            }
            switch image.encoding {
            case "raw":
                guard image.pixels.count == size * size * 3 else { return .reject(badImage, "\(image.pixels.count) raw bytes, expected \(size * size * 3)") }
                pixels = [UInt8](image.pixels)
            case "jpeg":
                do {
                    let (rgb, width, height, _) = try JPEGDecoder.decodeRGB([UInt8](image.pixels), maxPixels: UInt64(size * size))
                    guard width == size, height == size else { return .reject(badImage, "stored JPEG is \(width)×\(height)") }
                    pixels = rgb
                } catch {
                    return .reject(badImage, "stored JPEG does not decode: \(error.message)")
                }
            default:
                return .reject(badImage, "unknown encoding '\(image.encoding)'")
            }
        }
        let tokens = item.tokens ?? []
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.text.vocabSize }) {
            return .reject(badTokens, "token id \(bad) is outside the model's vocabulary of \(config.text.vocabSize)")
        }
        guard pixels != nil || !tokens.isEmpty else {
            return .reject(noInputs, "the item has neither a stored image nor token ids (see the images and text rejects)")
        }
        return .input(LoomNet.Input(pixels: pixels, tokens: Array(tokens.prefix(config.text.maxLen))))
    }

    /// Fails when the text output's ids were made with another vocabulary than the model's in
    /// `model` (its vocab.txt), or index rows the model's embedding does not have.
    public static func checkVocabulary(_ meta: TokenizationMeta, textPath: String, model: String, config: LoomNetConfig) throws {
        let vocabPath = (model as NSString).appendingPathComponent("vocab.txt")
        if FileManager.default.fileExists(atPath: vocabPath), let textHash = meta.vocabularyHash {
            let modelHash = TokenIDsBlob.vocabularyHash(try WordPieceVocabulary(path: vocabPath).tokens)
            guard modelHash == textHash else {
                throw LoomError.usage("\(textPath) was tokenised with another vocabulary than the model's \(vocabPath); rerun text with --vocab \(vocabPath)")
            }
        }
        if let size = meta.vocabularySize, size > config.text.vocabSize {
            throw LoomError.usage("\(textPath) has a vocabulary of \(size) tokens; the model's embedding has \(config.text.vocabSize) rows")
        }
    }

    /// The files whose content makes up the model in `directory`: its config, its weights (or the
    /// backbone it starts from) and its vocabulary.
    public static func modelFiles(_ directory: String) -> [String] {
        func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
        var files = [path("config.json")]
        if FileManager.default.fileExists(atPath: path("model.safetensors")) {
            files.append(path("model.safetensors"))
        } else if let config = try? LoomNetConfig.load(path: path("config.json")), let backbone = config.backboneWeights {
            files.append(backbone.hasPrefix("/") ? backbone : path(backbone))
        }
        if FileManager.default.fileExists(atPath: path("vocab.txt")) { files.append(path("vocab.txt")) }
        return files
    }
}
