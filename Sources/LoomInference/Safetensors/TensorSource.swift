import LoomCore

/// Where a model's layers get their weights: a safetensors file, or tensors held in memory
/// (freshly initialised heads, a model being trained), or several of these stacked.
public protocol TensorSource: Sendable {
    /// The tensor's values as Float, after checking that it exists and has `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float]
    /// Whether the source holds a tensor of that name.
    func contains(_ name: String) -> Bool
}

extension SafetensorsFile: TensorSource {
    public func contains(_ name: String) -> Bool { entries[name] != nil }
}

/// Tensors in memory, looked up first, in front of an optional fallback source.
public struct TensorSet: TensorSource {
    public let tensors: [String: SafetensorsWriter.Tensor]
    let fallback: (any TensorSource)?
    let origin: String

    /// `origin` names the set in error messages (a path, or what produced the tensors).
    public init(_ tensors: [SafetensorsWriter.Tensor], origin: String, over fallback: (any TensorSource)? = nil) {
        self.tensors = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
        self.fallback = fallback
        self.origin = origin
    }

    public func contains(_ name: String) -> Bool { tensors[name] != nil || fallback?.contains(name) == true }

    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let tensor = tensors[name] else {
            if let fallback { return try fallback.floats(name, shape: shape) }
            throw LoomError.badInput(path: origin, position: "tensor '\(name)'", reason: "missing (expected shape \(shape))")
        }
        guard tensor.shape == shape else {
            throw LoomError.badInput(path: origin, position: "tensor '\(name)'", reason: "shape \(tensor.shape), expected \(shape)")
        }
        return tensor.values
    }
}
