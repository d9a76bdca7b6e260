/// The settings of one stage, as read from a pipeline file or from flags. Codable with
/// snake_case keys; every key is optional in the file and falls back to the default.
/// Their canonical JSON (sorted keys) is recorded in `meta` and decides freshness.
public protocol StageSettings: Codable, Sendable, Equatable {
    /// The settings a stage runs with when the pipeline file names none.
    static var defaults: Self { get }
    /// Fraction of input records that may be rejected before the stage fails with exit 65.
    var maxRejectRatio: Double { get }
}

extension StageSettings {
    public var maxRejectRatio: Double { 0.05 }
}
