import LoomCore

/// Settings of the embed stage (`stages.embed` in a pipeline file).
public struct EmbedSettings: ModelDirectorySettings {
    /// The model directory: config.json plus model.safetensors (a trained model), or the
    /// untrained starting model whose config names its backbone and init seed.
    public var model: String
    /// Items per forward pass; results do not depend on it.
    public var batch: Int
    public var maxRejectRatio: Double

    public static let defaultModel = "Models/loomnet-v1"
    public static let defaults = EmbedSettings(model: defaultModel, batch: 32, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case model, batch
        case maxRejectRatio = "max_reject_ratio"
    }

    func validate() throws {
        guard batch >= 1, batch <= 4096 else { throw LoomError.usage("batch must be between 1 and 4096, got \(batch)", key: "batch") }
        guard maxRejectRatio >= 0, maxRejectRatio <= 1 else {
            throw LoomError.usage("max_reject_ratio must be in [0, 1]", key: "max_reject_ratio")
        }
    }
}
