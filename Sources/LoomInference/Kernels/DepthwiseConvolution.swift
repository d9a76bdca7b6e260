/// 3×3 depthwise convolution, padding 1, stride 1 or 2, on NHWC activations whose channel
/// count is a multiple of 8: each output pixel is eight channels at a time, nine taps each,
/// with the (folded) bias and the activation applied before the store.
enum DepthwiseConvolution {
    /// `weights` is [3·3][channels] (tap-major, so a tap's eight channels are one vector load).
    static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, channels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let rawInput = UnsafeRawPointer(input)
        let rawWeights = UnsafeRawPointer(weights)
        let rawBias = UnsafeRawPointer(bias)
        for oy in 0..<outHeight {
            let iy0 = oy * stride - 1
            let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
            for ox in 0..<outWidth {
                let ix0 = ox * stride - 1
                let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
                let out = UnsafeMutableRawPointer(output + (oy * outWidth + ox) * channels)
                var channel = 0
                while channel < channels {
                    let lanes = channels - channel
                    var sum = Lanes.load(rawBias, floatOffset: channel, count: lanes)
                    for ky in kyStart..<kyEnd {
                        let rowOffset = ((iy0 + ky) * width + ix0) * channels + channel
                        for kx in kxStart..<kxEnd {
                            let x = Lanes.load(rawInput, floatOffset: rowOffset + kx * channels, count: lanes)
                            let w = Lanes.load(rawWeights, floatOffset: (ky * 3 + kx) * channels + channel, count: lanes)
                            sum.addProduct(x, w)
                        }
                    }
                    Lanes.store(activation.apply(sum), out, floatOffset: channel, count: lanes)
                    channel += 8
                }
            }
        }
    }
}
