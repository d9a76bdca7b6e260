import LoomCore
import LoomKernels
import Testing
@testable import LoomTrain

/// The training passes split over threads (transposes by row bands, column sums by columns,
/// packing by strips): each must give the one-thread bytes, at sizes large enough to be split.
@Suite struct ParallelSplitTests {
    @Test func transposeColumnSumsAndPackingGiveTheSameBitsOnTwoThreads() {
        var random = SeededRandom(seed: 5)
        let rows = 1029, columns = 300   // 1029 rows: a last band shorter than 8; 300 columns: a partial strip
        let m = FloatBuffer(random.floats(rows * columns))

        var transposed: [[Float]] = []
        var sums: [[Float]] = []
        var packed: [[Float]] = []
        let arena = TrainingArena()
        for threads in [1, 2] {
            let t = FloatBuffer(count: columns * (rows + 16))
            LinearAlgebra.transpose(m.pointer, rows: rows, columns: columns, into: t.pointer, ldt: rows + 16, threads: threads)
            transposed.append(t.array)
            let s = FloatBuffer(count: columns)
            LinearAlgebra.columnSums(m.pointer, rows: rows, columns: columns, into: s.pointer, threads: threads)
            sums.append(s.array)
            let p = LinearAlgebra.pack(m.pointer, depth: rows, columns: columns, arena: arena, threads: threads)
            packed.append(Array(p.packedValues))
        }
        #expect(transposed[0] == transposed[1])
        #expect(sums[0] == sums[1])
        #expect(packed[0] == packed[1])
        // And against the definitions, so that both sides are not wrong alike.
        #expect((0..<columns).allSatisfy { c in (0..<rows).allSatisfy { r in transposed[1][c * (rows + 16) + r] == m[r * columns + c] } })
        let packedMatrix = PackedMatrix(depth: rows, columns: columns, rowMajor: m.pointer, ldb: columns)
        #expect(packed[1] == Array(packedMatrix.packedValues))
        var expected = [Float](repeating: 0, count: columns)
        for r in 0..<rows { for c in 0..<columns { expected[c] += m[r * columns + c] } }
        #expect(sums[1] == expected)
    }

    /// Layer 0's gate gradients summed per distinct token: each distinct row the sum of its rows
    /// in row order (checked against a plain loop), the same bits on one and on two threads, with
    /// rows `stride` apart and a width that is not a multiple of eight.
    @Test func rowsSummedPerDistinctInputAreTheSameOnTwoThreads() {
        var random = SeededRandom(seed: 8)
        let rows = 2000, width = 37, stride = 40, distinct = 300
        let m = FloatBuffer(random.floats(rows * stride))
        let index = (0..<rows).map { $0 < distinct ? Int32($0) : Int32(random.int(in: 0...(distinct - 1))) }
        var results: [[Float]] = []
        for threads in [1, 2] {
            let sums = FloatBuffer([Float](repeating: .nan, count: distinct * stride))
            LSTMTraining.sumRows(m.pointer, width: width, stride: stride, index: index, into: sums.pointer, distinct: distinct, threads: threads)
            results.append((0..<distinct).flatMap { u in (0..<width).map { sums[u * stride + $0] } })
        }
        #expect(results[0] == results[1])
        var expected = [Float](repeating: 0, count: distinct * width)
        var seen = [Bool](repeating: false, count: distinct)
        for row in 0..<rows {
            let u = Int(index[row])
            for j in 0..<width { expected[u * width + j] = seen[u] ? expected[u * width + j] + m[row * stride + j] : m[row * stride + j] }
            seen[u] = true
        }
        #expect(results[0] == expected)
    }
}
