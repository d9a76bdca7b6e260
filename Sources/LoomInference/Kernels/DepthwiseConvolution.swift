/// 3×3 depthwise convolution, padding 1, stride 1 or 2, on NHWC activations, with the (folded)
/// bias and the activation applied before the store.
///
/// Work goes output row by output row, and within a row eight channels at a time: the nine
/// weight vectors and the bias stay in registers while the kernel walks along the row, so the
/// three input rows it reads (3 × width × channels floats) stay in cache. Pixels whose window
/// is inside the image take the unrolled path; the border ones (and a last group of fewer than
/// eight channels) take the general one. Every output value is the same sum in the same order
/// on both paths: bias, then taps row by row, left to right, skipping the padding.
enum DepthwiseConvolution {
    /// `weights` is [3·3][channels] (tap-major, so a tap's eight channels are one vector load).
    /// A band of the image: `input` holds image rows from `firstInputRow` on (all that the output
    /// rows' windows reach), `output` receives the rows `outputRows` (default: all of them).
    static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, channels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>, firstInputRow: Int = 0, outputRows: Range<Int>? = nil
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let rows = outputRows ?? 0..<outHeight
        // Output columns whose three input columns are all inside the image.
        let firstInterior = min(outWidth, 1)                           // ox = 0 reads column −1
        let endInterior = width >= 2 ? max(firstInterior, min(outWidth, (width - 2) / stride + 1)) : firstInterior
        for oy in rows {
            let iy0 = oy &* stride &- 1
            var channel = 0
            while channel < channels {
                let lanes = channels &- channel
                let out = UnsafeMutableRawPointer(output + ((oy &- rows.lowerBound) &* outWidth &* channels &+ channel))
                let band = Band(input: input, firstRow: firstInputRow, height: height, width: width, channels: channels)
                if lanes >= 8, iy0 >= 0, iy0 &+ 2 < height {
                    general(band, stride: stride, iy0: iy0, columns: 0..<firstInterior, channel: channel,
                            weights: weights, bias: bias, activation: activation, out: out)
                    interior(input: input + ((iy0 &- firstInputRow) &* width &* channels &+ channel), width: width,
                             channels: channels, stride: stride, columns: firstInterior..<endInterior,
                             weights: weights + channel, bias: bias + channel, activation: activation, out: out)
                    general(band, stride: stride, iy0: iy0, columns: endInterior..<outWidth, channel: channel,
                            weights: weights, bias: bias, activation: activation, out: out)
                } else {
                    general(band, stride: stride, iy0: iy0, columns: 0..<outWidth, channel: channel,
                            weights: weights, bias: bias, activation: activation, out: out)
                }
                channel &+= 8
            }
        }
    }

    /// The input rows a kernel call may read: image rows from `firstRow` on, of an image
    /// `height` rows tall.
    struct Band {
        let input: UnsafePointer<Float>
        let firstRow: Int
        let height: Int
        let width: Int
        let channels: Int
    }

    /// Eight channels of the output columns `columns` of one row whose window rows are all
    /// inside the image; `input` points at (row iy0, column 0, the first of the eight channels).
    @inline(__always)
    static func interior(
        input: UnsafePointer<Float>, width: Int, channels: Int, stride: Int, columns: Range<Int>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        out: UnsafeMutableRawPointer
    ) {
        guard !columns.isEmpty else { return }
        func weight(_ tap: Int) -> SIMD8<Float> {
            UnsafeRawPointer(weights + tap &* channels).loadUnaligned(as: SIMD8<Float>.self)
        }
        let (w0, w1, w2, w3, w4, w5, w6, w7, w8) =
            (weight(0), weight(1), weight(2), weight(3), weight(4), weight(5), weight(6), weight(7), weight(8))
        let b = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
        let pixelBytes = channels &* 4
        let rowBytes = width &* pixelBytes
        let row0 = UnsafeRawPointer(input), row1 = row0 + rowBytes, row2 = row1 + rowBytes
        for ox in columns {
            let offset = (ox &* stride &- 1) &* pixelBytes
            var sum = b
            sum.addProduct(row0.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), w0)
            sum.addProduct(row0.loadUnaligned(fromByteOffset: offset &+ pixelBytes, as: SIMD8<Float>.self), w1)
            sum.addProduct(row0.loadUnaligned(fromByteOffset: offset &+ 2 &* pixelBytes, as: SIMD8<Float>.self), w2)
            sum.addProduct(row1.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), w3)
            sum.addProduct(row1.loadUnaligned(fromByteOffset: offset &+ pixelBytes, as: SIMD8<Float>.self), w4)
            sum.addProduct(row1.loadUnaligned(fromByteOffset: offset &+ 2 &* pixelBytes, as: SIMD8<Float>.self), w5)
            sum.addProduct(row2.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self), w6)
            sum.addProduct(row2.loadUnaligned(fromByteOffset: offset &+ pixelBytes, as: SIMD8<Float>.self), w7)
            sum.addProduct(row2.loadUnaligned(fromByteOffset: offset &+ 2 &* pixelBytes, as: SIMD8<Float>.self), w8)
            out.storeBytes(of: activation.apply(sum), toByteOffset: ox &* pixelBytes, as: SIMD8<Float>.self)
        }
    }

    /// Up to eight channels of the output columns `columns` of one row, skipping taps that fall
    /// in the padding.
    static func general(
        _ band: Band, stride: Int, iy0: Int, columns: Range<Int>, channel: Int, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, activation: Activation, out: UnsafeMutableRawPointer
    ) {
        let (height, width, channels) = (band.height, band.width, band.channels)
        let input = band.input, firstRow = band.firstRow   // image row r at input + (r − firstRow)·width·channels
        let lanes = channels - channel
        let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
        for ox in columns {
            let ix0 = ox * stride - 1
            let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
            if lanes >= 8 {   // a whole vector: plain loads (the common case on the border)
                let rawInput = UnsafeRawPointer(input), rawWeights = UnsafeRawPointer(weights)
                var sum = UnsafeRawPointer(bias + channel).loadUnaligned(as: SIMD8<Float>.self)
                for ky in kyStart..<kyEnd {
                    let rowOffset = ((iy0 &+ ky &- firstRow) &* width &+ ix0) &* channels &+ channel
                    for kx in kxStart..<kxEnd {
                        let x = rawInput.loadUnaligned(fromByteOffset: (rowOffset &+ kx &* channels) &* 4, as: SIMD8<Float>.self)
                        let w = rawWeights.loadUnaligned(fromByteOffset: ((ky &* 3 &+ kx) &* channels &+ channel) &* 4, as: SIMD8<Float>.self)
                        sum.addProduct(x, w)
                    }
                }
                out.storeBytes(of: activation.apply(sum), toByteOffset: ox &* channels &* 4, as: SIMD8<Float>.self)
                continue
            }
            var sum = Lanes.load(bias, floatOffset: channel, count: lanes)
            for ky in kyStart..<kyEnd {
                let rowOffset = ((iy0 + ky - firstRow) * width + ix0) * channels + channel
                for kx in kxStart..<kxEnd {
                    let x = Lanes.load(input, floatOffset: rowOffset + kx * channels, count: lanes)
                    let w = Lanes.load(weights, floatOffset: (ky * 3 + kx) * channels + channel, count: lanes)
                    sum.addProduct(x, w)
                }
            }
            Lanes.store(activation.apply(sum), out, floatOffset: ox * channels, count: lanes)
        }
    }
}
