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
}
