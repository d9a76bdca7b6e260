import LoomCore
import Testing
@testable import LoomImaging

/// The resizer's rounding to bytes against the scalar rule it replaces, and the resize itself
/// against a direct double-precision evaluation of the same filter.
@Suite struct AntialiasResizerTests {
    @Test func byteRoundingEqualsClampThenRoundHalfAwayFromZero() {
        var values: [Float] = stride(from: -3.0, through: 258.0, by: 1.0 / 64).map { Float($0) }
        for integer in 0...256 {
            let tie = Float(integer) + 0.5
            values += [tie, tie.nextUp, tie.nextDown, Float(integer).nextUp, Float(integer).nextDown]
        }
        var random = SeededRandom(seed: 3)
        values += random.floats(20_000).map { $0 * 300 }
        values += [-.infinity, .infinity, .greatestFiniteMagnitude, -0.0]
        var bytes = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { floats in
            bytes.withUnsafeMutableBufferPointer { AntialiasResizer.storeBytes(floats, to: $0.baseAddress!) }
        }
        let mismatches = values.indices.filter { bytes[$0] != UInt8(max(0, min(255, values[$0].rounded()))) }.map { values[$0] }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(8))")
    }

    @Test(arguments: [(500, 500), (375, 430), (257, 256), (1000, 300)])
    func resizeMatchesTheFilterEvaluatedDirectly(width: Int, height: Int) {
        var random = SeededRandom(seed: UInt64(width * height))
        let rgb = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let shorter = min(width, height)
        let targetWidth = max(224, Int((Double(width) * 256 / Double(shorter)).rounded()))
        let targetHeight = max(224, Int((Double(height) * 256 / Double(shorter)).rounded()))
        let cropX = ((targetWidth - 224) / 2)..<((targetWidth - 224) / 2 + 224)
        let cropY = ((targetHeight - 224) / 2)..<((targetHeight - 224) / 2 + 224)
        let out = rgb.withUnsafeBufferPointer {
            AntialiasResizer.Plan(width: width, height: height, targetWidth: targetWidth, targetHeight: targetHeight,
                                  cropX: cropX, cropY: cropY).resize($0, originColumn: 0, originRow: 0, rowStride: width * 3)
        }
        let horizontal = AntialiasResizer.kernel(source: width, target: targetWidth, window: cropX)
        let vertical = AntialiasResizer.kernel(source: height, target: targetHeight, window: cropY)
        // The same two passes in Double: vertical, rounded to 8 bits, then horizontal.
        var worst = 0
        for y in stride(from: 0, to: 224, by: 7) {
            for x in stride(from: 0, to: 224, by: 5) {
                for channel in 0..<3 {
                    var sum = 0.0
                    for h in 0..<Int(horizontal.counts[x]) {
                        let sx = Int(horizontal.starts[x]) + h
                        var column = 0.0
                        for v in 0..<Int(vertical.counts[y]) {
                            let sy = Int(vertical.starts[y]) + v
                            column += Double(vertical.weights[y * vertical.stride + v]) * Double(rgb[(sy * width + sx) * 3 + channel])
                        }
                        sum += Double(horizontal.weights[x * horizontal.stride + h]) * column.rounded()
                    }
                    let expected = Int(max(0, min(255, sum.rounded())))
                    worst = max(worst, abs(expected - Int(out[(y * 224 + x) * 3 + channel])))
                }
            }
        }
        #expect(worst <= 1, "largest difference \(worst)")
    }
}
