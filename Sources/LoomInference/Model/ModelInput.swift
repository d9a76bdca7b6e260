import Foundation
import LoomCore
import LoomFormats
import LoomImaging
import LoomTokenizers

/// What the work directory holds for an item, turned into LoomNet's input (train and embed both
/// read items this way), and the checks that a model can read the work directory's ids at all.
public enum ModelInput {
    public static let noInputs = RejectReason("no_image_or_text", countsTowardLimit: false)
    public static let badTokens = RejectReason("bad_token_ids")
    public static let badFeatures = RejectReason("bad_backbone_features")

    public enum Prepared: Sendable {
        case input(LoomNet.Input)
        case reject(RejectReason, String)
    }

    /// Takes the item's backbone features (the features stage's) and checks the ids; a problem
    /// with one item rejects that item only.
    public static func prepare(_ item: WorkItem, config: LoomNetConfig) -> Prepared {
        if let features = item.visual, features.count != MobileNetV2.featureCount {
            return .reject(badFeatures, "\(features.count) backbone features, the model takes \(MobileNetV2.featureCount)")
        }
        let tokens = item.tokens ?? []
        if let bad = tokens.first(where: { $0 < 0 || Int($0) >= config.text.vocabSize }) {
            return .reject(badTokens, "token id \(bad) is outside the model's vocabulary of \(config.text.vocabSize)")
        }
        guard item.visual != nil || !tokens.isEmpty else {
            return .reject(noInputs, "the item has neither an image nor token ids (see the images, features and text rejects)")
        }
        return .input(LoomNet.Input(visual: item.visual, tokens: Array(tokens.prefix(config.text.maxLen))))
    }

    /// A stored image the backbone cannot take (the features stage's reject).
    public static let badImage = RejectReason("bad_stored_image")

    /// Why a stored image cannot be the backbone's input.
    public struct StoredImageProblem: Error {
        public var detail: String

        public init(detail: String) {
            self.detail = detail
        }
    }

    /// A stored image as the backbone's input: `size`×`size` RGB8, decoded when stored as JPEG.
    public static func storedPixels(_ image: StoredImage, size: Int) -> Result<[UInt8], StoredImageProblem> {
        guard image.width == size, image.height == size else {
            return .failure(.init(detail: "stored image is \(image.width)×\(image.height); the model takes \(size)×\(size) (rerun images with size \(size))"))
        }
        switch image.encoding {
        case .raw:
            guard image.pixels.count == size * size * 3 else {
                return .failure(.init(detail: "\(image.pixels.count) raw bytes, expected \(size * size * 3)"))
            }
            return .success([UInt8](image.pixels))
        case .jpeg:
            do {
                let (rgb, width, height, _) = try JPEGDecoder.decodeRGB([UInt8](image.pixels), maxPixels: UInt64(size * size))
                guard width == size, height == size else { return .failure(.init(detail: "stored JPEG is \(width)×\(height)")) }
                return .success(rgb)
            } catch {
                return .failure(.init(detail: "stored JPEG does not decode: \(error.message)"))
            }
        }
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

    /// Fails when the features at `featuresPath` were computed by another backbone than the one
    /// in `model`: the model would read features it was not trained on.
    public static func checkBackbone(featuresPath: String, model: String) throws {
        let recorded = try StageMeta.read(path: featuresPath).extra["backbone_hash"]
        let own = try BackboneFingerprint.of(directory: model)
        guard recorded == own else {
            throw LoomError.usage("\(featuresPath) holds features of another backbone than \(model)'s; rerun features with --model \(model)")
        }
    }

    /// The files whose content makes up the model's backbone: its config (image size and
    /// normalisation) and the weights file holding the backbone (a trained model's own weights,
    /// or the starting model's backbone file).
    public static func backboneFiles(_ directory: String) -> [String] {
        modelFiles(directory).filter { ($0 as NSString).lastPathComponent != "vocab.txt" }
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
