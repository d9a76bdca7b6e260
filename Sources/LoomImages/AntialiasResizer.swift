import Foundation

/// Resizes RGB8 with a triangle (bilinear) filter whose support widens with the reduction factor,
/// as Pillow's BILINEAR resize does when it reduces: every source pixel under the footprint
/// counts, so small patterns average out instead of aliasing. Separable: a horizontal pass into
/// 8-bit rows, then a vertical pass. Only the output window `crop` is computed.
enum AntialiasResizer {
    /// For each output coordinate: the first source index and the normalised weights.
    struct Kernel {
        var starts: [Int]
        var weights: [[Float]]
    }

    static func kernel(source: Int, target: Int, window: Range<Int>) -> Kernel {
        let scale = Double(source) / Double(target)
        let filterScale = max(scale, 1)
        let support = filterScale  // triangle support 1, stretched when reducing
        var starts: [Int] = []
        var weights: [[Float]] = []
        for index in window {
            let center = (Double(index) + 0.5) * scale
            let low = max(0, Int((center - support).rounded(.down)))
            let high = min(source, Int((center + support).rounded(.up)))
            var row: [Double] = []
            for x in low..<high {
                let distance = abs((Double(x) + 0.5 - center) / filterScale)
                row.append(max(0, 1 - distance))
            }
            let total = row.reduce(0, +)
            starts.append(low)
            weights.append(row.map { Float(total > 0 ? $0 / total : 0) })
        }
        return Kernel(starts: starts, weights: weights)
    }

    /// `rgb` (width × height × 3) resized to `targetWidth × targetHeight`, of which the window
    /// `crop` (x and y ranges of the resized image) is returned, tightly packed.
    static func resize(_ rgb: [UInt8], width: Int, height: Int, targetWidth: Int, targetHeight: Int,
                       cropX: Range<Int>, cropY: Range<Int>) -> [UInt8] {
        let horizontal = kernel(source: width, target: targetWidth, window: cropX)
        let vertical = kernel(source: height, target: targetHeight, window: cropY)
        // Rows the vertical pass needs.
        let firstRow = vertical.starts.min() ?? 0
        let lastRow = zip(vertical.starts, vertical.weights).map { $0 + $1.count }.max() ?? 0
        let outWidth = cropX.count
        var middle = [UInt8](repeating: 0, count: (lastRow - firstRow) * outWidth * 3)
        rgb.withUnsafeBufferPointer { source in
            middle.withUnsafeMutableBufferPointer { target in
                for y in firstRow..<lastRow {
                    let sourceRow = y * width * 3
                    let targetRow = (y - firstRow) * outWidth * 3
                    for x in 0..<outWidth {
                        var r: Float = 0, g: Float = 0, b: Float = 0
                        var offset = sourceRow + horizontal.starts[x] * 3
                        for weight in horizontal.weights[x] {
                            r += weight * Float(source[offset])
                            g += weight * Float(source[offset + 1])
                            b += weight * Float(source[offset + 2])
                            offset += 3
                        }
                        target[targetRow + 3 * x] = clamp(r)
                        target[targetRow + 3 * x + 1] = clamp(g)
                        target[targetRow + 3 * x + 2] = clamp(b)
                    }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: outWidth * cropY.count * 3)
        middle.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<cropY.count {
                    let start = vertical.starts[y] - firstRow
                    for x in 0..<(outWidth * 3) {
                        var sum: Float = 0
                        var row = start
                        for weight in vertical.weights[y] {
                            sum += weight * Float(source[row * outWidth * 3 + x])
                            row += 1
                        }
                        target[y * outWidth * 3 + x] = clamp(sum)
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
