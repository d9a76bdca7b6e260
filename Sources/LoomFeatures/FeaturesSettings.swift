import LoomCore
import LoomInference

/// Settings of the features stage (`stages.features` in a pipeline file).
public struct FeaturesSettings: ModelDirectorySettings {
    /// A model directory whose backbone computes the features: the starting model (its config
    /// names the backbone weights) or a trained one; train and embed check that their model has
    /// the same backbone.
    public var model: String
    /// The arithmetic of the backbone's 1×1 convolutions: `fp32` (the reference) or `int8`
    /// (faster where the CPU has AVX-512 VNNI, slower on AVX2 alone; features within cosine
    /// 0.993-0.9992 of fp32 on the reference images: README).
    public var precision: BackbonePrecision
    public var maxRejectRatio: Double

    public static let defaultModel = "Models/loomnet-v1"
    public static let defaults = FeaturesSettings(model: defaultModel, precision: .fp32, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case model, precision
        case maxRejectRatio = "max_reject_ratio"
    }

    func validate() throws {
        guard maxRejectRatio >= 0, maxRejectRatio <= 1 else {
            throw LoomError.usage("max_reject_ratio must be in [0, 1]", key: "max_reject_ratio")
        }
    }
}
