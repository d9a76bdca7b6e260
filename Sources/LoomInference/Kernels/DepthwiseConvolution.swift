import CLoomKernels
import LoomCore
import LoomKernels
/// 3×3 depthwise convolution, padding 1, stride 1 or 2, on NHWC activations, with the (folded)
/// bias and the activation applied before the store.
///
/// Work goes eight channels at a time over all the rows asked for (MobileNetV2 asks for a band
/// that fits in L2): the nine weight vectors and the bias stay in registers for the whole band,
/// interior pixels take nine unrolled taps, border pixels the same code with the taps in the
/// padding skipped. A last group of fewer than eight channels takes the general path. Every
/// output value is the same sum in the same order on all paths: one partial sum per window row
/// (three short dependency chains instead of one of nine) — the top row's starts from the bias,
/// the others from their first product; taps left to right, padding skipped — then
/// (top + middle) + bottom. With `isa` `.avx512`, sixteen channels at a time go through
/// `loom_depthwise_row16_avx512`, which does the same operations in the same order: the same bits.
public enum DepthwiseConvolution {
    /// `weights` is [3·3][channels] (tap-major, so a tap's eight channels are one vector load).
    /// Pixels are `inputPixelStride` / `outputPixelStride` floats apart (default: `channels`).
    /// A band of the image: `input` holds image rows from `firstInputRow` on (all that the output
    /// rows' windows reach), `output` receives the rows `outputRows` (default: all of them).
    public static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, channels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>, firstInputRow: Int = 0, outputRows: Range<Int>? = nil,
        inputPixelStride: Int? = nil, outputPixelStride: Int? = nil, isa: VectorISA = CPUFeatures.isa
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let rows = outputRows ?? 0..<outHeight
        let band = Band(input: input, firstRow: firstInputRow, height: height, width: width, channels: channels,
                        inStride: inputPixelStride ?? channels, outStride: outputPixelStride ?? channels)
        let wholeGroups = channels / 8 * 8
        var channel = 0
        if isa == .avx512 {
            while channel + 16 <= wholeGroups {
                wideGroup(band, stride: stride, rows: rows, outWidth: outWidth, channel: channel, weights: weights, bias: bias,
                          activation: activation, output: output)
                channel &+= 16
            }
        }
        while channel < wholeGroups {
            group(band, stride: stride, rows: rows, outWidth: outWidth, channel: channel, weights: weights, bias: bias,
                  activation: activation, output: output)
            channel &+= 8
        }
        if wholeGroups < channels {   // a last group of fewer than eight channels
            for oy in rows {
                general(band, stride: stride, iy0: oy &* stride &- 1, columns: 0..<outWidth, channels: wholeGroups..<channels,
                        weights: weights, bias: bias, activation: activation,
                        out: output + (oy &- rows.lowerBound) &* outWidth &* band.outStride)
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
        /// Floats from one pixel to the next in the input and in the output (≥ channels: padded
        /// rows keep pixels of wide layers off the same few cache sets).
        let inStride: Int
        let outStride: Int
    }

    /// Sixteen channels (from `channel`) of every output pixel of the rows `rows`, a row per call
    /// of the AVX-512 kernel; `output` points at the first of those rows.
    static func wideGroup(
        _ band: Band, stride: Int, rows: Range<Int>, outWidth: Int, channel: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) {
        let bounds = activation.bounds
        let rowFloats = band.width &* band.inStride
        for oy in rows {
            let iy0 = oy &* stride &- 1
            let middle = band.input + ((iy0 &+ 1 &- band.firstRow) &* rowFloats &+ channel)
            let top = iy0 >= 0, bottom = iy0 &+ 2 < band.height
            // Rows in the padding are passed as the middle one and never read.
            loom_depthwise_row16_avx512(top ? middle - rowFloats : middle, middle, bottom ? middle + rowFloats : middle,
                                        top ? 1 : 0, bottom ? 1 : 0, band.width, band.inStride, outWidth, stride,
                                        weights + channel, band.channels, bias + channel,
                                        output + ((oy &- rows.lowerBound) &* outWidth &* band.outStride &+ channel), band.outStride,
                                        bounds.lower[0], bounds.upper[0])
        }
    }

    /// Eight channels (from `channel`) of every output pixel of the rows `rows`; `output` points
    /// at the first of those rows.
    static func group(
        _ band: Band, stride: Int, rows: Range<Int>, outWidth: Int, channel: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>
    ) {
        let channels = band.channels, width = band.width, height = band.height
        func weight(_ tap: Int) -> SIMD8<Float> {
            UnsafeRawPointer(weights + (tap &* channels &+ channel)).loadUnaligned(as: SIMD8<Float>.self)
        }
        let (w0, w1, w2, w3, w4, w5, w6, w7, w8) =
            (weight(0), weight(1), weight(2), weight(3), weight(4), weight(5), weight(6), weight(7), weight(8))
        let b = UnsafeRawPointer(bias + channel).loadUnaligned(as: SIMD8<Float>.self)
        let clamp = activation.bounds
        let pixelBytes = band.inStride &* 4, outPixelBytes = band.outStride &* 4
        let rowBytes = width &* pixelBytes
        // Output columns whose three input columns are all inside the image.
        let firstInterior = min(outWidth, 1)                           // ox = 0 reads column −1
        let endInterior = width >= 2 ? max(firstInterior, min(outWidth, (width - 2) / stride + 1)) : firstInterior
        for oy in rows {
            let iy0 = oy &* stride &- 1
            // The window's middle row (iy0 + 1 = oy·stride) is always inside the image.
            let middle = UnsafeRawPointer(band.input + ((iy0 &+ 1 &- band.firstRow) &* width &* band.inStride &+ channel))
            let above = middle - rowBytes, below = middle + rowBytes   // read only when inside the image
            let top = iy0 >= 0, bottom = iy0 &+ 2 < height
            let target = UnsafeMutableRawPointer(output + ((oy &- rows.lowerBound) &* outWidth &* band.outStride &+ channel))
            @inline(__always) func x(_ row: UnsafeRawPointer, _ offset: Int) -> SIMD8<Float> {
                row.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            }
            /// A pixel whose window may reach into the padding: the same taps, padding skipped.
            @inline(__always) func border(_ ox: Int) {
                let ix0 = ox &* stride &- 1
                let left = ix0 >= 0, right = ix0 &+ 2 < width
                let offset = ix0 &* pixelBytes
                // The interior's row sums; a row or column in the padding adds nothing.
                var upper = b, centre = SIMD8<Float>(), lower = SIMD8<Float>()
                if top {
                    if left { upper.addProduct(x(above, offset), w0) }
                    upper.addProduct(x(above, offset &+ pixelBytes), w1)
                    if right { upper.addProduct(x(above, offset &+ 2 &* pixelBytes), w2) }
                }
                // A lower row's sum starts from its first tap inside the image.
                func rowSum(_ row: UnsafeRawPointer, _ wLeft: SIMD8<Float>, _ wMiddle: SIMD8<Float>, _ wRight: SIMD8<Float>) -> SIMD8<Float> {
                    var sum: SIMD8<Float>
                    if left {
                        sum = x(row, offset) * wLeft
                        sum.addProduct(x(row, offset &+ pixelBytes), wMiddle)
                    } else {
                        sum = x(row, offset &+ pixelBytes) * wMiddle
                    }
                    if right { sum.addProduct(x(row, offset &+ 2 &* pixelBytes), wRight) }
                    return sum
                }
                centre = rowSum(middle, w3, w4, w5)
                if bottom { lower = rowSum(below, w6, w7, w8) }
                target.storeBytes(of: clamp.apply((upper + centre) + lower), toByteOffset: ox &* outPixelBytes, as: SIMD8<Float>.self)
            }
            guard top, bottom else {
                for ox in 0..<outWidth { border(ox) }
                continue
            }
            for ox in 0..<firstInterior { border(ox) }
            for ox in firstInterior..<endInterior {
                let offset = (ox &* stride &- 1) &* pixelBytes
                // One partial sum per window row: three short dependency chains, not one of nine.
                var upper = b
                upper.addProduct(x(above, offset), w0)
                upper.addProduct(x(above, offset &+ pixelBytes), w1)
                upper.addProduct(x(above, offset &+ 2 &* pixelBytes), w2)
                var centre = x(middle, offset) * w3
                centre.addProduct(x(middle, offset &+ pixelBytes), w4)
                centre.addProduct(x(middle, offset &+ 2 &* pixelBytes), w5)
                var lower = x(below, offset) * w6
                lower.addProduct(x(below, offset &+ pixelBytes), w7)
                lower.addProduct(x(below, offset &+ 2 &* pixelBytes), w8)
                target.storeBytes(of: clamp.apply((upper + centre) + lower), toByteOffset: ox &* outPixelBytes, as: SIMD8<Float>.self)
            }
            for ox in endInterior..<outWidth { border(ox) }
        }
    }

    /// The channels `channels` (eight at a time, the last group possibly shorter; lane by lane, for
    /// the channels `group` does not cover) of the output columns `columns` of one row (`out`
    /// points at its first pixel), skipping taps that fall in the padding.
    static func general(
        _ band: Band, stride: Int, iy0: Int, columns: Range<Int>, channels range: Range<Int>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, activation: Activation, out: UnsafeMutablePointer<Float>
    ) {
        guard !columns.isEmpty, !range.isEmpty else { return }
        let (height, width, channels) = (band.height, band.width, band.channels)
        let (inStride, outStride) = (band.inStride, band.outStride)
        let input = band.input, firstRow = band.firstRow   // image row r at input + (r − firstRow)·width·inStride
        let rawOut = UnsafeMutableRawPointer(out)
        let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
        for ox in columns {
            let ix0 = ox * stride - 1
            let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
            var channel = range.lowerBound
            while channel < range.upperBound {
                let lanes = range.upperBound - channel
                // Row sums as in `group`: the top one starts from the bias, the others from their
                // first product; then (top + middle) + bottom.
                var rowSums = (Lanes.load(bias, floatOffset: channel, count: lanes), SIMD8<Float>(), SIMD8<Float>())
                for ky in kyStart..<kyEnd {
                    let rowOffset = ((iy0 + ky - firstRow) * width + ix0) * inStride + channel
                    var sum = rowSums.0
                    for kx in kxStart..<kxEnd {
                        let x = Lanes.load(input, floatOffset: rowOffset + kx * inStride, count: lanes)
                        let w = Lanes.load(weights, floatOffset: (ky * 3 + kx) * channels + channel, count: lanes)
                        if ky > 0 && kx == kxStart { sum = x * w } else { sum.addProduct(x, w) }
                    }
                    switch ky {
                    case 0: rowSums.0 = sum
                    case 1: rowSums.1 = sum
                    default: rowSums.2 = sum
                    }
                }
                Lanes.store(activation.apply((rowSums.0 + rowSums.1) + rowSums.2), rawOut,
                            floatOffset: ox * outStride + channel, count: lanes)
                channel += 8
            }
        }
    }
}
