/// Eval-mode batch norm, y = (x − mean) / √(var + eps) · γ + β, folded into the convolution
/// before it at load time: W' = W · s and b' = β − mean · s per output channel, s = γ / √(var + eps).
enum BatchNormFolding {
    /// The folded weights (same layout as `<conv>.weight`, output channel first) and bias.
    static func fold(_ file: any TensorSource, convolution: String, batchNorm: String, shape: [Int], eps: Float)
        throws -> (weights: [Float], bias: [Float])
    {
        let outputs = shape[0]
        var weights = try file.floats(convolution + ".weight", shape: shape)
        let gamma = try file.floats(batchNorm + ".weight", shape: [outputs])
        let beta = try file.floats(batchNorm + ".bias", shape: [outputs])
        let mean = try file.floats(batchNorm + ".running_mean", shape: [outputs])
        let variance = try file.floats(batchNorm + ".running_var", shape: [outputs])
        let perOutput = weights.count / outputs
        var bias = [Float](repeating: 0, count: outputs)
        for o in 0..<outputs {
            let scale = Double(gamma[o]) / (Double(variance[o]) + Double(eps)).squareRoot()
            for i in 0..<perOutput { weights[o * perOutput + i] = Float(Double(weights[o * perOutput + i]) * scale) }
            bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
        }
        return (weights, bias)
    }
}
