import Foundation

/// The settings of one stage, as read from a pipeline file or from flags. Codable with
/// snake_case keys; every key is optional in the file and falls back to the default.
/// Their canonical JSON (sorted keys) is recorded in `meta` and decides freshness.
public protocol StageSettings: Codable, Sendable, Equatable {
    /// The settings a stage runs with when the pipeline file names none.
    static var defaults: Self { get }
    /// Fraction of input records that may be rejected before the stage fails with exit 65.
    var maxRejectRatio: Double { get }
    /// Keys that mean the same as a key of another stage, by key: in a pipeline file such a key
    /// takes the other stage's value when it is not given, and a different value is a usage error
    /// (text's `train_fraction` is triplets', so that no valid or test item shapes a vocabulary).
    static var sharedKeys: [String: String] { get }
    /// The settings with each model or vocabulary path that is not found where it is read from
    /// taken from Loom's home instead (`LoomHome.resolve`): `Models/loomnet-v1` works from any
    /// directory. Applied to the settings of stage commands and of pipeline files.
    func resolvingBundledPaths() -> Self
    /// The keys whose values are paths (a string or a list of strings): in a pipeline file they
    /// are resolved against the file's directory (`PipelineFile.resolve`).
    static var pathKeys: Set<String> { get }
    /// The path keys that may name a file bundled with Loom (a model, a vocabulary): one that is
    /// not found from the pipeline file is taken from Loom's home.
    static var bundledPathKeys: Set<String> { get }
}

extension StageSettings {
    public var maxRejectRatio: Double { 0.05 }
    public static var sharedKeys: [String: String] { [:] }
    public func resolvingBundledPaths() -> Self { self }
    public static var pathKeys: Set<String> { [] }
    public static var bundledPathKeys: Set<String> { [] }

    /// Settings from a JSON object in which every key is optional: a key that is absent or null
    /// takes its value from `defaults`, so a settings type states its defaults once (in
    /// `defaults`) and decodes with the synthesised `init(from:)`. Anything but an object is
    /// decoded as it is, for the decoder to report.
    public static func decode(fromJSON data: Data) throws -> Self {
        guard var given = try JSONSerialization.jsonObject(with: data, options: .fragmentsAllowed) as? [String: Any],
              let fallback = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaults)) as? [String: Any] else {
            return try JSONDecoder().decode(Self.self, from: data)
        }
        for (key, value) in fallback where given[key] == nil || given[key] is NSNull {
            given[key] = value
        }
        return try JSONDecoder().decode(Self.self, from: JSONSerialization.data(withJSONObject: given))
    }
}

/// Settings whose `model` names a model directory, which may be one bundled with Loom
/// (`Models/loomnet-v1`): a path key of a pipeline file, taken from Loom's home when it is not
/// found from where it is read.
public protocol ModelDirectorySettings: StageSettings {
    var model: String { get set }
}

extension ModelDirectorySettings {
    public static var pathKeys: Set<String> { ["model"] }
    public static var bundledPathKeys: Set<String> { ["model"] }

    public func resolvingBundledPaths() -> Self {
        var resolved = self
        resolved.model = LoomHome.resolve(model)
        return resolved
    }
}
