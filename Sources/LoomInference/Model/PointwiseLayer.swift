import LoomKernels

/// A 1×1 convolution of MobileNetV2 in the arithmetic the backbone runs in (`BackbonePrecision`).
enum PointwiseLayer: Sendable {
    case float(DenseLayer)
    case int8(QuantizedDenseLayer)

    /// `weight` holds `outputs` rows of `inputs` floats (PyTorch's layout).
    init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, activation: Activation, precision: BackbonePrecision) {
        switch precision {
        case .fp32: self = .float(DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, activation: activation))
        case .int8: self = .int8(QuantizedDenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, activation: activation))
        }
    }

    var inputs: Int {
        switch self {
        case .float(let layer): layer.inputs
        case .int8(let layer): layer.inputs
        }
    }

    var outputs: Int {
        switch self {
        case .float(let layer): layer.outputs
        case .int8(let layer): layer.outputs
        }
    }

    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>, inputStride: Int? = nil,
               outputStride: Int? = nil) {
        switch self {
        case .float(let layer): layer.apply(input, rows: rows, into: output, inputStride: inputStride, outputStride: outputStride)
        case .int8(let layer): layer.apply(input, rows: rows, into: output, inputStride: inputStride, outputStride: outputStride)
        }
    }
}
