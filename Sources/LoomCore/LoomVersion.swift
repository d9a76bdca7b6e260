/// The Loom version recorded in every output's `meta`; a change reruns every stage.
public enum LoomVersion {
    public static let current = "0.1.0"
}
