import LoomCore

/// Settings of the embed stage (`stages.embed` in a pipeline file).
public struct EmbedSettings: ModelDirectorySettings {
    public static var pathKeys: Set<String> { ["model", "text_model"] }
    public static var bundledPathKeys: Set<String> { ["model", "text_model"] }

    /// The model directory: config.json plus model.safetensors (a trained model), or the
    /// untrained starting model whose config names its backbone and init seed.
    public var model: String
    /// Items per forward pass; results do not depend on it.
    public var batch: Int
    /// A sentence encoder's directory (config.json, model.safetensors, vocab.txt; e.g.
    /// Models/minilm-l6-v2): each item's title and description also get its sentence vector, for
    /// `loom query --text`. None: no text vectors.
    public var textModel: String?
    /// Ids the sentence encoder reads per item, [CLS] and [SEP] included (at most 256).
    public var textMaxTokens: Int = 128
    public var maxRejectRatio: Double

    public static let defaultModel = "Models/loomnet-v1"
    public static let defaults = EmbedSettings(model: defaultModel, batch: 32, textModel: nil, textMaxTokens: 128, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case model, batch
        case textModel = "text_model"
        case textMaxTokens = "text_max_tokens"
        case maxRejectRatio = "max_reject_ratio"
    }

    /// Both model directories, from Loom's home when they are not found from here.
    public func resolvingBundledPaths() -> Self {
        var resolved = self
        resolved.model = LoomHome.resolve(model)
        resolved.textModel = textModel.map { LoomHome.resolve($0) }
        return resolved
    }

    func validate() throws {
        guard batch >= 1, batch <= 4096 else { throw LoomError.usage("batch must be between 1 and 4096, got \(batch)", key: "batch") }
        guard textMaxTokens >= 2, textMaxTokens <= 256 else {
            throw LoomError.usage("text_max_tokens must be between 2 and 256, got \(textMaxTokens)", key: "text_max_tokens")
        }
        guard maxRejectRatio >= 0, maxRejectRatio <= 1 else {
            throw LoomError.usage("max_reject_ratio must be in [0, 1]", key: "max_reject_ratio")
        }
    }
}
