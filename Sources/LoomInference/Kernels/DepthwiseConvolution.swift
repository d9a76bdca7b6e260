/// 3×3 depthwise convolution, padding 1, stride 1 or 2, on NHWC activations, with the (folded)
/// bias and the activation applied before the store.
///
/// Work goes eight channels at a time over all the rows asked for (MobileNetV2 asks for a band
/// that fits in L2): the nine weight vectors and the bias stay in registers for the whole band.
/// Pixels whose window is inside the image take the unrolled path; the border ones (and a last
/// group of fewer than eight channels) take the general one. Every output value is the same sum in the same order
/// on both paths: bias, then taps row by row, left to right, skipping the padding.
public enum DepthwiseConvolution {
    /// `weights` is [3·3][channels] (tap-major, so a tap's eight channels are one vector load).
    /// A band of the image: `input` holds image rows from `firstInputRow` on (all that the output
    /// rows' windows reach), `output` receives the rows `outputRows` (default: all of them).
    public static func apply(
        input: UnsafePointer<Float>, height: Int, width: Int, channels: Int, stride: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        output: UnsafeMutablePointer<Float>, firstInputRow: Int = 0, outputRows: Range<Int>? = nil
    ) {
        let outHeight = (height - 1) / stride + 1
        let outWidth = (width - 1) / stride + 1
        let rows = outputRows ?? 0..<outHeight
        // Output columns, and rows, whose three input columns (rows) are all inside the image.
        let firstInterior = min(outWidth, 1)                           // ox = 0 reads column −1
        let endInterior = width >= 2 ? max(firstInterior, min(outWidth, (width - 2) / stride + 1)) : firstInterior
        let lastInteriorRow = height >= 2 ? (height - 2) / stride : -1   // iy0 + 2 ≤ height − 1
        let interiorStart = max(rows.lowerBound, 1)
        let interiorRows = interiorStart..<max(interiorStart, min(rows.upperBound, lastInteriorRow + 1))
        let band = Band(input: input, firstRow: firstInputRow, height: height, width: width, channels: channels)
        func rowOutput(_ oy: Int) -> UnsafeMutablePointer<Float> { output + (oy &- rows.lowerBound) &* outWidth &* channels }
        // Eight channels at a time, all rows of the band: the group's weights stay in registers.
        let wholeGroups = channels / 8 * 8
        var channel = 0
        while channel < wholeGroups {
            let group = channel..<(channel + 8)
            for oy in rows where !interiorRows.contains(oy) {   // top and bottom rows touch the padding
                general(band, stride: stride, iy0: oy &* stride &- 1, columns: 0..<outWidth, channels: group,
                        weights: weights, bias: bias, activation: activation, out: rowOutput(oy))
            }
            for oy in interiorRows {
                general(band, stride: stride, iy0: oy &* stride &- 1, columns: 0..<firstInterior, channels: group,
                        weights: weights, bias: bias, activation: activation, out: rowOutput(oy))
                general(band, stride: stride, iy0: oy &* stride &- 1, columns: endInterior..<outWidth, channels: group,
                        weights: weights, bias: bias, activation: activation, out: rowOutput(oy))
            }
            if !interiorRows.isEmpty {
                interior(band, stride: stride, rows: interiorRows, columns: firstInterior..<endInterior, channel: channel,
                         weights: weights, bias: bias, activation: activation, out: rowOutput(interiorRows.lowerBound),
                         outWidth: outWidth)
            }
            channel &+= 8
        }
        if wholeGroups < channels {   // a last group of fewer than eight channels
            for oy in rows {
                general(band, stride: stride, iy0: oy &* stride &- 1, columns: 0..<outWidth, channels: wholeGroups..<channels,
                        weights: weights, bias: bias, activation: activation, out: rowOutput(oy))
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

    /// Eight channels (from `channel`) of the output pixels `rows` × `columns`, whose windows
    /// are inside the image; `out` points at the first of those rows.
    @inline(__always)
    static func interior(
        _ band: Band, stride: Int, rows: Range<Int>, columns: Range<Int>, channel: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, activation: Activation,
        out: UnsafeMutablePointer<Float>, outWidth: Int
    ) {
        guard !columns.isEmpty else { return }
        let channels = band.channels
        func weight(_ tap: Int) -> SIMD8<Float> {
            UnsafeRawPointer(weights + (tap &* channels &+ channel)).loadUnaligned(as: SIMD8<Float>.self)
        }
        let (w0, w1, w2, w3, w4, w5, w6, w7, w8) =
            (weight(0), weight(1), weight(2), weight(3), weight(4), weight(5), weight(6), weight(7), weight(8))
        let b = UnsafeRawPointer(bias + channel).loadUnaligned(as: SIMD8<Float>.self)
        let pixelBytes = channels &* 4
        let rowBytes = band.width &* pixelBytes
        for oy in rows {
            let iy0 = oy &* stride &- 1
            let row0 = UnsafeRawPointer(band.input + ((iy0 &- band.firstRow) &* band.width &* channels &+ channel))
            let row1 = row0 + rowBytes, row2 = row1 + rowBytes
            let target = UnsafeMutableRawPointer(out + ((oy &- rows.lowerBound) &* outWidth &* channels &+ channel))
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
                target.storeBytes(of: activation.apply(sum), toByteOffset: ox &* pixelBytes, as: SIMD8<Float>.self)
            }
        }
    }

    /// The channels `channels` (eight at a time, the last group possibly shorter) of the output
    /// columns `columns` of one row (`out` points at its first pixel), skipping taps that fall in
    /// the padding.
    static func general(
        _ band: Band, stride: Int, iy0: Int, columns: Range<Int>, channels range: Range<Int>, weights: UnsafePointer<Float>,
        bias: UnsafePointer<Float>, activation: Activation, out: UnsafeMutablePointer<Float>
    ) {
        guard !columns.isEmpty, !range.isEmpty else { return }
        let (height, width, channels) = (band.height, band.width, band.channels)
        let input = band.input, firstRow = band.firstRow   // image row r at input + (r − firstRow)·width·channels
        let rawInput = UnsafeRawPointer(input), rawWeights = UnsafeRawPointer(weights)
        let rawOut = UnsafeMutableRawPointer(out)
        let kyStart = max(0, -iy0), kyEnd = min(3, height - iy0)
        for ox in columns {
            let ix0 = ox * stride - 1
            let kxStart = max(0, -ix0), kxEnd = min(3, width - ix0)
            var channel = range.lowerBound
            while channel < range.upperBound {
                let lanes = range.upperBound - channel
                if lanes >= 8 {   // a whole vector: plain loads
                    var sum = UnsafeRawPointer(bias + channel).loadUnaligned(as: SIMD8<Float>.self)
                    for ky in kyStart..<kyEnd {
                        let rowOffset = ((iy0 &+ ky &- firstRow) &* width &+ ix0) &* channels &+ channel
                        for kx in kxStart..<kxEnd {
                            let x = rawInput.loadUnaligned(fromByteOffset: (rowOffset &+ kx &* channels) &* 4, as: SIMD8<Float>.self)
                            let w = rawWeights.loadUnaligned(fromByteOffset: ((ky &* 3 &+ kx) &* channels &+ channel) &* 4, as: SIMD8<Float>.self)
                            sum.addProduct(x, w)
                        }
                    }
                    rawOut.storeBytes(of: activation.apply(sum), toByteOffset: (ox &* channels &+ channel) &* 4, as: SIMD8<Float>.self)
                } else {
                    var sum = Lanes.load(bias, floatOffset: channel, count: lanes)
                    for ky in kyStart..<kyEnd {
                        let rowOffset = ((iy0 + ky - firstRow) * width + ix0) * channels + channel
                        for kx in kxStart..<kxEnd {
                            let x = Lanes.load(input, floatOffset: rowOffset + kx * channels, count: lanes)
                            let w = Lanes.load(weights, floatOffset: (ky * 3 + kx) * channels + channel, count: lanes)
                            sum.addProduct(x, w)
                        }
                    }
                    Lanes.store(activation.apply(sum), rawOut, floatOffset: ox * channels + channel, count: lanes)
                }
                channel += 8
            }
        }
    }
}
