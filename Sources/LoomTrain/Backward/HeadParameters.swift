import LoomCore
import LoomInference
import LoomKernels

/// LoomNet's trainable tensors (`visual.proj`, `text.*`, `fusion.*`), each with a gradient of
/// the same shape, in a fixed order (so sums over them — the clipping norm — are always the
/// same). The frozen backbone is not here.
public final class HeadParameters: @unchecked Sendable {
    public final class Tensor: @unchecked Sendable {
        public let name: String
        public let shape: [Int]
        public let value: FloatBuffer
        public let gradient: FloatBuffer
        /// Rows of an embedding table that received gradient this step (sparse update); nil for
        /// dense tensors.
        public var touchedRows: [Int]?

        init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            value = FloatBuffer(values)
            gradient = FloatBuffer(count: values.count)
            touchedRows = name.hasSuffix("embedding.weight") ? [] : nil
        }

        public var count: Int { value.count }
        public var values: [Float] { value.array }
    }

    public let config: LoomNetConfig
    public let tensors: [Tensor]
    private let byName: [String: Tensor]

    /// Reads the head tensors from `source` (a trained model, or `HeadInitialiser`'s set).
    public init(config: LoomNetConfig, source: any TensorSource) throws {
        self.config = config
        tensors = try config.headTensorShapes.map { name, shape in
            Tensor(name: name, shape: shape, values: try source.floats(name, shape: shape))
        }
        byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
    }

    public subscript(name: String) -> Tensor {
        guard let tensor = byName[name] else { preconditionFailure("no head tensor \(name)") }
        return tensor
    }

    /// Sets every gradient to zero (the embedding's only on the rows touched last).
    public func zeroGradients() {
        for tensor in tensors {
            if let rows = tensor.touchedRows {
                let width = tensor.shape[1]
                for row in rows { (tensor.gradient.pointer + row * width).initialize(repeating: 0, count: width) }
                tensor.touchedRows = []
            } else {
                tensor.gradient.pointer.initialize(repeating: 0, count: tensor.count)
            }
        }
    }

    /// The tensors as the safetensors writer takes them.
    public func export() -> [SafetensorsWriter.Tensor] {
        tensors.map { SafetensorsWriter.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }
    }

    /// A copy of every value (for a best-so-far snapshot).
    public func snapshot() -> [[Float]] { tensors.map(\.values) }

    public func restore(_ values: [[Float]]) {
        for (tensor, saved) in zip(tensors, values) { tensor.value.pointer.update(from: saved, count: saved.count) }
    }
}
