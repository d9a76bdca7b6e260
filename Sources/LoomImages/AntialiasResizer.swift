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
        for (slot, index) in window.enumerated() {
            let center = (Double(index) + 0.5) * scale
            let low = max(0, Int((center - support).rounded(.down)))
            let high = min(source, Int((center + support).rounded(.up)), low + stride)
            var row: [Double] = []
            for x in low..<high {
                row.append(max(0, 1 - abs((Double(x) + 0.5 - center) / filterScale)))
            }
            let total = row.reduce(0, +)
            kernel.starts.append(Int32(low))
            kernel.counts.append(Int32(row.count))
            for (tap, weight) in row.enumerated() { kernel.weights[slot * stride + tap] = Float(total > 0 ? weight / total : 0) }
        }
        return kernel
    }

    /// `rgb` (width × height × 3) resized to `targetWidth × targetHeight`, of which the window
    /// `cropX × cropY` of the resized image is returned, tightly packed. The vertical pass runs
    /// first, over whole rows (contiguous, so it vectorises) and only for the cropped rows; the
    /// horizontal pass then works on `cropY.count` rows instead of every source row.
    static func resize(_ rgb: [UInt8], width: Int, height: Int, targetWidth: Int, targetHeight: Int,
                       cropX: Range<Int>, cropY: Range<Int>) -> [UInt8] {
        let horizontal = kernel(source: width, target: targetWidth, window: cropX)
        let vertical = kernel(source: height, target: targetHeight, window: cropY)
        let rowLength = width * 3
        let outWidth = cropX.count
        // One float of padding: the horizontal pass loads a pixel as 4 floats (r, g, b, next r).
        var middle = [Float](repeating: 0, count: cropY.count * rowLength + 1)
        var accumulator = [Float](repeating: 0, count: rowLength)
        rgb.withUnsafeBufferPointer { source in
            middle.withUnsafeMutableBufferPointer { target in
                accumulator.withUnsafeMutableBufferPointer { sum in
                    for y in 0..<cropY.count {
                        for index in 0..<rowLength { sum[index] = 0 }
                        for tap in 0..<Int(vertical.counts[y]) {
                            let weight = vertical.weights[y * vertical.stride + tap]
                            let row = source.baseAddress! + (Int(vertical.starts[y]) + tap) * rowLength
                            for index in 0..<rowLength { sum[index] += weight * Float(row[index]) }
                        }
                        // Rounded to 8 bits between the passes, as Pillow does.
                        let targetRow = target.baseAddress! + y * rowLength
                        for index in 0..<rowLength { targetRow[index] = sum[index].rounded() }
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: outWidth * 3 * cropY.count)
        middle.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                horizontal.weights.withUnsafeBufferPointer { weights in
                horizontal.starts.withUnsafeBufferPointer { starts in
                horizontal.counts.withUnsafeBufferPointer { counts in
                    for y in 0..<cropY.count {
                        let sourceRow = source.baseAddress! + y &* rowLength
                        var pixelOut = target.baseAddress! + y &* outWidth &* 3
                        for x in 0..<outWidth {
                            // One SIMD lane per channel; the fourth (the next pixel's red) is ignored.
                            var sum = SIMD4<Float>(repeating: 0)
                            var pixel = UnsafeRawPointer(sourceRow + Int(starts[x]) &* 3)
                            let tapWeights = weights.baseAddress! + x &* horizontal.stride
                            for tap in 0..<Int(counts[x]) {
                                sum.addProduct(SIMD4<Float>(repeating: tapWeights[tap]), pixel.loadUnaligned(as: SIMD4<Float>.self))
                                pixel += 12
                            }
                            let bytes = Self.bytes(sum)
                            pixelOut[0] = UInt8(truncatingIfNeeded: bytes.x)
                            pixelOut[1] = UInt8(truncatingIfNeeded: bytes.y)
                            pixelOut[2] = UInt8(truncatingIfNeeded: bytes.z)
                            pixelOut += 3
                        }
                    }
                }
                }
                }
            }
        }
        return out
    }

    /// Each lane clamped to 0…255 and rounded half away from zero (as `rounded()`), in the low
    /// byte of a 32-bit lane. All in vector operations: adding 2²³ rounds a float to the nearest
    /// integer (ties to even) and leaves that integer in its low mantissa bits; a tie that went
    /// down gets one more. (`UInt8(_: Float)` and the generic SIMD conversions and rounding run
    /// lane by lane, with trap checks.)
    @inline(__always) static func bytes(_ value: SIMD4<Float>) -> SIMD4<UInt32> {
        let clamped = value.replacing(with: 0, where: value .< 0).replacing(with: 255, where: value .> 255)
        let biased = clamped + 0x1p23
        let nearest = biased - 0x1p23
        let rounded = biased.replacing(with: biased + 1, where: clamped - nearest .== 0.5)
        return unsafeBitCast(rounded, to: SIMD4<UInt32>.self)
    }
}
