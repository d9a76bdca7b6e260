import LoomCore

/// Settings of the features stage (`stages.features` in a pipeline file).
public struct FeaturesSettings: ModelDirectorySettings {
    /// A model directory whose backbone computes the features: the starting model (its config
    /// names the backbone weights) or a trained one; train and embed check that their model has
    /// the same backbone.
    public var model: String
    public var maxRejectRatio: Double

    public static let defaultModel = "Models/loomnet-v1"
    public static let defaults = FeaturesSettings(model: defaultModel, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case model
        case maxRejectRatio = "max_reject_ratio"
    }

    func validate() throws {
        guard maxRejectRatio >= 0, maxRejectRatio <= 1 else {
            throw LoomError.usage("max_reject_ratio must be in [0, 1]", key: "max_reject_ratio")
        }
    }
}
