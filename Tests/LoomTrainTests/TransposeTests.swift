import LoomKernels
import Testing
@testable import LoomTrain

/// The register-blocked transpose against the definition, at sizes with and without whole 8×8
/// blocks and with padded output rows.
@Suite struct TransposeTests {
    @Test(arguments: [(1, 1), (8, 8), (7, 9), (13, 21), (64, 24), (1024, 17)])
    func transposeMatchesTheDefinition(rows: Int, columns: Int) {
        let source = (0..<(rows * columns)).map { Float($0) + 0.5 }
        for ldt in [rows, rows + 16] {
            var output = [Float](repeating: -1, count: columns * ldt)
            source.withUnsafeBufferPointer { m in
                output.withUnsafeMutableBufferPointer { t in
                    LinearAlgebra.transpose(m.baseAddress!, rows: rows, columns: columns, into: t.baseAddress!, ldt: ldt)
                }
            }
            var wrong = 0
            for c in 0..<columns {
                for r in 0..<rows where output[c * ldt + r] != source[r * columns + c] { wrong += 1 }
                for r in rows..<ldt where output[c * ldt + r] != -1 { wrong += 1 }   // the padding is left alone
            }
            #expect(wrong == 0, "\(rows)×\(columns), ldt \(ldt): \(wrong) wrong")
        }
    }
}
