import LoomKernels
/// A linear map with bias, stored as PyTorch stores it ([out, in]) and packed for SGEMM at load:
/// both `nn.Linear` and a 1×1 convolution over NHWC pixels (each pixel is a row).
public struct DenseLayer: Sendable {
    public let inputs: Int
    public let outputs: Int
    let weights: PackedMatrix
    let bias: FloatBuffer
    let activation: Activation

    /// `weight` holds `outputs` rows of `inputs` floats.
    init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, activation: Activation) {
        self.inputs = inputs
        self.outputs = outputs
        self.activation = activation
        self.bias = FloatBuffer(bias)
        weights = weight.withUnsafeBufferPointer {
            PackedMatrix(depth: inputs, columns: outputs, transposing: $0.baseAddress!, ldw: inputs)
        }
    }

    /// Loads `<name>.weight` ([outputs, inputs], or [outputs, inputs, 1, 1]) and `<name>.bias`.
    init(_ file: any TensorSource, _ name: String, inputs: Int, outputs: Int, activation: Activation = .none,
         convolution: Bool = false) throws {
        let shape = convolution ? [outputs, inputs, 1, 1] : [outputs, inputs]
        self.init(weight: try file.floats(name + ".weight", shape: shape),
                  bias: try file.floats(name + ".bias", shape: [outputs]),
                  inputs: inputs, outputs: outputs, activation: activation)
    }

    /// output[rows × outputs] = input[rows × inputs] · Wᵀ + b, then the activation. Rows are
    /// `inputStride` / `outputStride` floats apart (default: packed).
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, threads: Int = 1,
                      inputStride: Int? = nil, outputStride: Int? = nil) {
        SGEMM.multiply(m: rows, a: input, lda: inputStride ?? inputs, b: weights, c: output, ldc: outputStride ?? outputs,
                       bias: bias.pointer, activation: activation, threads: threads)
    }
}
