import Foundation

/// Resizes RGB8 with a triangle (bilinear) filter whose support widens with the reduction factor,
/// as Pillow's BILINEAR resize does when it reduces: every source pixel under the footprint
/// counts, so small patterns average out instead of aliasing. Separable: a vertical pass into
/// 8-bit-rounded rows, then a horizontal pass. Only the output window (the crop) is computed.
enum AntialiasResizer {
    /// For each output coordinate: the first source index and its taps, in flat arrays.
    struct Kernel {
        var starts: [Int32]
        var counts: [Int32]
        /// `weights[index * stride ..< index * stride + counts[index]]`
        var weights: [Float]
        var stride: Int
    }

    static func kernel(source: Int, target: Int, window: Range<Int>) -> Kernel {
        let scale = Double(source) / Double(target)
        let filterScale = max(scale, 1)
        let support = filterScale  // triangle support 1, stretched when reducing
        let stride = Int((support * 2).rounded(.up)) + 2
        var kernel = Kernel(starts: [], counts: [], weights: [Float](repeating: 0, count: window.count * stride), stride: stride)
        kernel.starts.reserveCapacity(window.count)
        kernel.counts.reserveCapacity(window.count)
        var taps = [Double](repeating: 0, count: stride)
        for (slot, index) in window.enumerated() {
            let center = (Double(index) + 0.5) * scale
            let low = max(0, Int((center - support).rounded(.down)))
            let high = min(source, Int((center + support).rounded(.up)), low + stride)
            var total = 0.0
            for x in low..<high {
                taps[x - low] = max(0, 1 - abs((Double(x) + 0.5 - center) / filterScale))
                total += taps[x - low]
            }
            kernel.starts.append(Int32(low))
            kernel.counts.append(Int32(high - low))
            for tap in 0..<(high - low) {
                kernel.weights[slot * stride + tap] = Float(total > 0 ? taps[tap] / total : 0)
            }
        }
        return kernel
    }

    /// One resize: a `width × height` image to `targetWidth × targetHeight`, of which the window
    /// `cropX × cropY` is computed. It knows its kernels and the source pixels they read, so a
    /// decoder that is told them can leave the rest of the image out.
    struct Plan {
        let horizontal: Kernel
        let vertical: Kernel
        let outWidth: Int
        let outHeight: Int
        /// The source columns and rows the output window reads.
        let columns: Range<Int>
        let rows: Range<Int>

        init(width: Int, height: Int, targetWidth: Int, targetHeight: Int, cropX: Range<Int>, cropY: Range<Int>) {
            horizontal = AntialiasResizer.kernel(source: width, target: targetWidth, window: cropX)
            vertical = AntialiasResizer.kernel(source: height, target: targetHeight, window: cropY)
            outWidth = cropX.count
            outHeight = cropY.count
            /// The sources under a kernel's taps (at least the first one, which the passes read).
            func reach(_ kernel: Kernel) -> Range<Int> {
                let low = Int(kernel.starts.min() ?? 0)
                let high = zip(kernel.starts, kernel.counts).map { Int($0) + max(1, Int($1)) }.max() ?? low
                return low..<max(low, high)
            }
            columns = reach(horizontal)
            rows = reach(vertical)
        }

        /// The output window, from `pixels`: the source's rows from `originRow` on, `rowStride`
        /// bytes apart, each starting at source column `originColumn`; they must cover `columns × rows`.
        /// One output row at a time: the vertical pass sums the source rows under that row's taps
        /// (over the source columns the horizontal taps reach; contiguous, so it vectorises) into
        /// a row of floats that stays in L1, rounds it to 8-bit values, and the horizontal pass
        /// turns it into the output row at once.
        func resize(_ pixels: UnsafeBufferPointer<UInt8>, originColumn: Int, originRow: Int, rowStride: Int) -> [UInt8] {
            let horizontal = self.horizontal, vertical = self.vertical, outWidth = self.outWidth
            let firstColumn = columns.lowerBound
            let span = columns.count * 3
            // Padding: the horizontal pass loads a pixel as 4 floats (r, g, b, next r), and reads
            // `maxTaps` pixels from every output pixel's first one (zero weights past its own taps).
            let maxTaps = Int(horizontal.counts.max() ?? 0)
            var middle = [Float](repeating: 0, count: span + maxTaps * 3 + 1)
            var line = [Float](repeating: 0, count: outWidth * 3 + 1)
            let count = outWidth * 3 * outHeight
            return [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
                middle.withUnsafeMutableBufferPointer { middle in
                line.withUnsafeMutableBufferPointer { line in
                horizontal.weights.withUnsafeBufferPointer { weights in
                horizontal.starts.withUnsafeBufferPointer { starts in
                vertical.weights.withUnsafeBufferPointer { verticalWeights in
                    let row = middle.baseAddress!
                    let stride = horizontal.stride
                    /// The first source pixel of output pixel `x`'s taps, in `row`.
                    func pixel(_ x: Int) -> UnsafeRawPointer { UnsafeRawPointer(row + (Int(starts[x]) &- firstColumn) &* 3) }
                    let columns = pixels.baseAddress! + (firstColumn &- originColumn) &* 3
                    for y in 0..<outHeight {
                        // Vertical: the first tap sets the row (0 + w·x is w·x), the others add to it;
                        // each sum is rounded to an 8-bit value as it is stored, as Pillow rounds
                        // between the passes.
                        let tapWeights = verticalWeights.baseAddress! + y &* vertical.stride
                        let first = columns + (Int(vertical.starts[y]) &- originRow) &* rowStride
                        let tapCount = max(1, Int(vertical.counts[y]))
                        var index = 0
                        // Sixteen, then eight columns at a time, summed over all taps in registers.
                        while index &+ 16 <= span {
                            var low = tapWeights[0] * AntialiasResizer.floats(first + index)
                            var high = tapWeights[0] * AntialiasResizer.floats(first + (index &+ 8))
                            for tap in 1..<tapCount {
                                let line = first + (tap &* rowStride &+ index)
                                low = low + tapWeights[tap] * AntialiasResizer.floats(line)
                                high = high + tapWeights[tap] * AntialiasResizer.floats(line + 8)
                            }
                            UnsafeMutableRawPointer(row + index).storeBytes(of: low.rounded(.toNearestOrAwayFromZero), as: SIMD8<Float>.self)
                            UnsafeMutableRawPointer(row + index).storeBytes(of: high.rounded(.toNearestOrAwayFromZero), toByteOffset: 32,
                                                                            as: SIMD8<Float>.self)
                            index &+= 16
                        }
                        while index &+ 8 <= span {
                            var sum = tapWeights[0] * AntialiasResizer.floats(first + index)
                            for tap in 1..<tapCount {
                                sum = sum + tapWeights[tap] * AntialiasResizer.floats(first + (tap &* rowStride &+ index))
                            }
                            UnsafeMutableRawPointer(row + index).storeBytes(of: sum.rounded(.toNearestOrAwayFromZero), as: SIMD8<Float>.self)
                            index &+= 8
                        }
                        while index < span {
                            var sum = tapWeights[0] * Float(first[index])
                            for tap in 1..<tapCount { sum += tapWeights[tap] * Float(first[tap &* rowStride &+ index]) }
                            row[index] = sum.rounded()
                            index &+= 1
                        }
                        // Horizontal: each pixel's sums land in `line` as 4 floats (the fourth is
                        // overwritten by the next pixel), then the whole line is rounded to bytes. Four
                        // pixels at a time, over `maxTaps` taps each (the weights past a pixel's own
                        // count are 0, adding exactly 0): four independent sums keep the multiply-adds
                        // from waiting on each other.
                        var x = 0
                        while x &+ 4 <= outWidth {
                            var sums = (SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>(), SIMD4<Float>())
                            let pixels = (pixel(x), pixel(x &+ 1), pixel(x &+ 2), pixel(x &+ 3))
                            let taps = weights.baseAddress! + x &* stride
                            for tap in 0..<maxTaps {
                                let offset = tap &* 12
                                sums.0.addProduct(SIMD4(repeating: taps[tap]), (pixels.0 + offset).loadUnaligned(as: SIMD4<Float>.self))
                                sums.1.addProduct(SIMD4(repeating: taps[stride &+ tap]), (pixels.1 + offset).loadUnaligned(as: SIMD4<Float>.self))
                                sums.2.addProduct(SIMD4(repeating: taps[2 &* stride &+ tap]), (pixels.2 + offset).loadUnaligned(as: SIMD4<Float>.self))
                                sums.3.addProduct(SIMD4(repeating: taps[3 &* stride &+ tap]), (pixels.3 + offset).loadUnaligned(as: SIMD4<Float>.self))
                            }
                            let target = UnsafeMutableRawPointer(line.baseAddress! + x &* 3)
                            target.storeBytes(of: sums.0, as: SIMD4<Float>.self)
                            target.storeBytes(of: sums.1, toByteOffset: 12, as: SIMD4<Float>.self)
                            target.storeBytes(of: sums.2, toByteOffset: 24, as: SIMD4<Float>.self)
                            target.storeBytes(of: sums.3, toByteOffset: 36, as: SIMD4<Float>.self)
                            x &+= 4
                        }
                        while x < outWidth {
                            var sum = SIMD4<Float>()
                            let taps = weights.baseAddress! + x &* stride
                            for tap in 0..<maxTaps {
                                sum.addProduct(SIMD4(repeating: taps[tap]), (pixel(x) + tap &* 12).loadUnaligned(as: SIMD4<Float>.self))
                            }
                            UnsafeMutableRawPointer(line.baseAddress! + x &* 3).storeBytes(of: sum, as: SIMD4<Float>.self)
                            x &+= 1
                        }
                        AntialiasResizer.storeBytes(UnsafeBufferPointer(rebasing: line[0..<(outWidth * 3)]), to: out.baseAddress! + y &* outWidth &* 3)
                    }
                }
                }
                }
                }
                }
                initialized = count
            }
        }
    }

    /// Eight bytes as floats.
    @inline(__always) static func floats(_ bytes: UnsafePointer<UInt8>) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(bytes).loadUnaligned(as: SIMD8<UInt8>.self)))
    }

    /// Each value clamped to 0…255 and rounded half away from zero (as `rounded()`), as bytes. A
    /// plain loop over floats, which the compiler turns into vector code: the clamped, rounded
    /// value plus 2²³ holds the integer in its low mantissa bits, so taking the low byte of the bit
    /// pattern needs no conversion with trap checks (as `UInt8(_: Float)` has).
    @inline(__always) static func storeBytes(_ values: UnsafeBufferPointer<Float>, to out: UnsafeMutablePointer<UInt8>) {
        for index in 0..<values.count {
            let rounded = max(0, min(255, values[index])).rounded()
            out[index] = UInt8(truncatingIfNeeded: (rounded + 0x1p23).bitPattern)
        }
    }
}
