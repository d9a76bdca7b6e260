import LoomCore

/// The arithmetic of MobileNetV2's 1×1 convolutions (the expand and project layers and the head,
/// most of its multiply-adds); the stem and the depthwise convolutions stay in float.
public enum BackbonePrecision: String, NamedChoice {
    /// 32-bit floats: the reference (PyTorch's results to cosine > 0.9999).
    case fp32
    /// 8-bit integers (`QuantizedDenseLayer`): faster where the CPU has VNNI, and close
    /// to the float features, not equal to them.
    case int8

    public static let kind = "backbone precision"
}
