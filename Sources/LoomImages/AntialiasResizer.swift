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
        var middle = [Float](repeating: 0, count: cropY.count * rowLength)
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
                    for y in 0..<cropY.count {
                        let sourceRow = source.baseAddress! + y * rowLength
                        let targetRow = target.baseAddress! + y * outWidth * 3
                        for x in 0..<outWidth {
                            // One SIMD lane per channel (the fourth is padding).
                            var sum = SIMD4<Float>(repeating: 0)
                            var pixel = sourceRow + Int(horizontal.starts[x]) * 3
                            let tapWeights = weights.baseAddress! + x * horizontal.stride
                            for tap in 0..<Int(horizontal.counts[x]) {
                                sum.addProduct(SIMD4<Float>(repeating: tapWeights[tap]), SIMD4<Float>(pixel[0], pixel[1], pixel[2], 0))
                                pixel += 3
                            }
                            targetRow[3 * x] = clamp(sum.x)
                            targetRow[3 * x + 1] = clamp(sum.y)
                            targetRow[3 * x + 2] = clamp(sum.z)
                        }
                    }
                }
            }
        }
        return out
    }

    @inline(__always) static func clamp(_ value: Float) -> UInt8 {
        UInt8(max(0, min(255, value.rounded())))
    }
}
