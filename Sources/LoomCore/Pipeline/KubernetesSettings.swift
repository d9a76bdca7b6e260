import Foundation

/// A pipeline file's `kubernetes:` mapping, for `loom run --executor kubernetes --emit DIR`: the
/// container image that holds loom, the work volume (claim name, size) and where pods mount it,
/// and the CPUs each pod requests.
public struct KubernetesSettings: Sendable, Equatable {
    public var image = "loom:\(LoomVersion.current)"
    public var volumeClaim = "loom-work"
    public var storage = "100Gi"
    /// Default: the directory `loom run` is started in, so the pipeline's relative paths hold.
    public var mountPath: String?
    public var cpus: Int?

    public static let keys: Set<String> = ["image", "volume_claim", "storage", "mount_path", "cpus"]

    public init() {}

    init(_ raw: Any, file: String, line: Int) throws {
        func usage(_ message: String, key: String) -> LoomError {
            .usage("\(message) at line \(line)", file: file, key: key)
        }
        guard let mapping = raw as? [String: Any] else { throw usage("expected a mapping", key: "kubernetes") }
        for (key, value) in mapping.sorted(by: { $0.key < $1.key }) {
            switch key {
            case "cpus":
                guard let number = value as? Int, number >= 1 else { throw usage("expected a positive integer", key: "kubernetes.cpus") }
                cpus = number
            case "image", "volume_claim", "storage", "mount_path":
                guard let text = value as? String, !text.isEmpty else { throw usage("expected a string", key: "kubernetes.\(key)") }
                switch key {
                case "image": image = text
                case "volume_claim": volumeClaim = text
                case "storage": storage = text
                default: mountPath = text
                }
            default:
                throw usage("unknown key (expected one of \(KubernetesSettings.keys.sorted().joined(separator: ", ")))", key: "kubernetes.\(key)")
            }
        }
    }
}
