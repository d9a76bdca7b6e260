import LoomCore

/// How the text tower turns the top LSTM layer's outputs into one vector per sequence
/// (`text.pooling` in a model's config.json).
public enum TextPooling: String, NamedChoice {
    /// The output at the last real token (the original LoomNet v1).
    case last
    /// The mean of the outputs at every real token: each word reaches the loss directly, so a
    /// colour or brand early in the title is not lost by the end of the description.
    case mean

    public static let kind = "text pooling"
}
