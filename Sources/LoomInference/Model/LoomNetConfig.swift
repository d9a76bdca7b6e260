import Foundation
import LoomCore

/// `config.json` of a LoomNet model directory (written by `loom train`, or by a PyTorch export).
public struct LoomNetConfig: Codable, Sendable, Equatable {
    public struct Visual: Codable, Sendable, Equatable {
        public var backbone: String
        public var features: Int
        public var batchnormEps: Float
        enum CodingKeys: String, CodingKey { case backbone, features, batchnormEps = "batchnorm_eps" }
    }

    public struct Text: Codable, Sendable, Equatable {
        public var tokenizer: String
        public var vocabSize: Int
        public var embeddingDim: Int
        public var lstmHidden: Int
        public var lstmLayers: Int
        public var maxLen: Int
        public var padId: Int
        public var pooling: TextPooling
        enum CodingKeys: String, CodingKey {
            case tokenizer, pooling
            case vocabSize = "vocab_size", embeddingDim = "embedding_dim", lstmHidden = "lstm_hidden"
            case lstmLayers = "lstm_layers", maxLen = "max_len", padId = "pad_id"
        }
    }

    public var architecture: String
    public var imageSize: Int
    public var mean: [Float]
    public var std: [Float]
    public var visual: Visual
    public var text: Text
    public var fusionHidden: Int
    public var embeddingDim: Int
    /// A model directory without `model.safetensors` (the untrained starting point that
    /// `loom train` begins from): the backbone's weights file, relative to the directory…
    public var backboneWeights: String?
    /// …and the seed its heads are initialised from (PyTorch's default initialisation).
    public var initSeed: UInt64?
    /// The coarse types of a model trained with type-aware scores (sorted; `TypePairWeights`),
    /// whose weights are the tensor `type_pairs.weight`; nil: plain cosine only.
    public var types: [String]?

    enum CodingKeys: String, CodingKey {
        case architecture, mean, std, visual, text
        case imageSize = "image_size", fusionHidden = "fusion_hidden", embeddingDim = "embedding_dim"
        case backboneWeights = "backbone_weights", initSeed = "init_seed", types
    }

    public static let architectureName = "loomnet-v1"

    /// Reads and checks `path`; errors name the file and the offending key.
    public static func load(path: String) throws -> LoomNetConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "no model config (config.json) here")
        }
        let config: LoomNetConfig
        do {
            config = try JSONDecoder().decode(LoomNetConfig.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw LoomError.badInput(path: path, position: "key '\(Self.path(context.codingPath + [key]))'", reason: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw LoomError.badInput(path: path, position: "key '\(Self.path(context.codingPath))'", reason: context.debugDescription)
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {   // an unknown choice
            throw LoomError.badInput(path: path, position: "key '\(Self.path(context.codingPath))'", reason: context.debugDescription)
        } catch {
            throw LoomError.badInput(path: path, position: nil, reason: "not a LoomNet config: \(error)")
        }
        try config.validate(path: path)
        return config
    }

    private static func path(_ keys: [CodingKey]) -> String { keys.map(\.stringValue).joined(separator: ".") }

    func validate(path: String) throws {
        func bad(_ key: String, _ reason: String) -> LoomError { .badInput(path: path, position: "key '\(key)'", reason: reason) }
        guard architecture == Self.architectureName else { throw bad("architecture", "'\(architecture)', expected '\(Self.architectureName)'") }
        guard visual.backbone == "mobilenet_v2", visual.features == MobileNetV2.featureCount else {
            throw bad("visual", "only mobilenet_v2 with 1280 features is supported")
        }
        guard mean.count == 3, std.count == 3, std.allSatisfy({ $0 > 0 }) else { throw bad("mean/std", "three channels, std > 0") }
        guard imageSize >= 32, imageSize <= 1024 else { throw bad("image_size", "\(imageSize) is outside 32...1024") }
        guard text.lstmHidden > 0 else { throw bad("text.lstm_hidden", "must be positive") }
        guard text.lstmLayers >= 1, text.vocabSize > 0, text.embeddingDim > 0, text.maxLen >= 1 else {
            throw bad("text", "lstm_layers, vocab_size, embedding_dim and max_len must be positive")
        }
        guard fusionHidden > 0, embeddingDim > 0 else { throw bad("fusion_hidden/embedding_dim", "must be positive") }
        if let types, types.isEmpty || types != types.sorted() || Set(types).count != types.count {
            throw bad("types", "must be distinct coarse types in sorted order")
        }
    }

    /// Names and shapes of the heads, in the order the network uses them.
    public var headTensorShapes: [(String, [Int])] {
        let text = self.text, dim = embeddingDim
        var shapes: [(String, [Int])] = [
            ("visual.proj.weight", [dim, visual.features]), ("visual.proj.bias", [dim]),
            ("text.embedding.weight", [text.vocabSize, text.embeddingDim]),
        ]
        for layer in 0..<text.lstmLayers {
            let inputs = layer == 0 ? text.embeddingDim : text.lstmHidden
            shapes += [
                ("text.lstm.weight_ih_l\(layer)", [4 * text.lstmHidden, inputs]),
                ("text.lstm.weight_hh_l\(layer)", [4 * text.lstmHidden, text.lstmHidden]),
                ("text.lstm.bias_ih_l\(layer)", [4 * text.lstmHidden]),
                ("text.lstm.bias_hh_l\(layer)", [4 * text.lstmHidden]),
            ]
        }
        shapes += [
            ("text.proj.weight", [dim, text.lstmHidden]), ("text.proj.bias", [dim]),
            ("fusion.0.weight", [fusionHidden, 2 * dim]), ("fusion.0.bias", [fusionHidden]),
            ("fusion.2.weight", [dim, fusionHidden]), ("fusion.2.bias", [dim]),
        ]
        if let types { shapes.append((TypePairWeights.tensorName, TypePairWeights.shape(types: types.count, dim: dim))) }
        return shapes
    }
}
