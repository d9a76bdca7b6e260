/// A full 3×3 convolution, padding 1, on NHWC activations with few input channels (the
/// network's first layer: RGB → 32), output channels a multiple of 8. Direct rather than
/// im2col + GEMM: with 3 input channels a GEMM would have a depth of 27.
enum DirectConvolution {
    /// `weights` is [3·3·inChannels][outChannels] (tap, then input channel, then output).
    static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, inChannels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, outChannels: Int, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let rawWeights = UnsafeRawPointer(weights)
        for oy in 0..<outHeight {
            let iy0 = oy * stride - 1
            let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
            for ox in 0..<outWidth {
                let ix0 = ox * stride - 1
                let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
                let out = UnsafeMutableRawPointer(output + (oy * outWidth + ox) * outChannels)
                var block = 0
                while block < outChannels {
                    let lanes = outChannels - block
                    var sum = Lanes.load(bias, floatOffset: block, count: lanes)
                    for ky in kyStart..<kyEnd {
                        for kx in kxStart..<kxEnd {
                            let pixel = input + ((iy0 + ky) * width + ix0 + kx) * inChannels
                            let tap = (ky * 3 + kx) * inChannels
                            for c in 0..<inChannels {
                                let w = Lanes.load(rawWeights, floatOffset: (tap + c) * outChannels + block, count: lanes)
                                sum.addProduct(SIMD8(repeating: pixel[c]), w)
                            }
                        }
                    }
                    Lanes.store(activation.apply(sum), out, floatOffset: block, count: lanes)
                    block += 8
                }
            }
        }
    }
}
