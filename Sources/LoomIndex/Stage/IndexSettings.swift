import LoomCore

/// Settings of the index stage (`stages.index` in a pipeline file).
public struct IndexSettings: StageSettings {
    /// Allowed distance of a stored vector's norm from 1 before the index is refused.
    public var normTolerance: Double
    public var maxRejectRatio: Double

    public static let defaults = IndexSettings(normTolerance: 1e-3, maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case normTolerance = "norm_tolerance"
        case maxRejectRatio = "max_reject_ratio"
    }
}
