import Foundation
import LoomCore
import LoomInference
import LoomKernels
import Testing
@testable import LoomIndex

/// The search kernel against a brute-force reference on random unit vectors.
@Suite struct VectorSearchTests {
    static func unitVectors(_ count: Int, dim: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        var values = random.floats(count * dim)
        for row in 0..<count {
            let norm = (0..<dim).map { Double(values[row * dim + $0]) * Double(values[row * dim + $0]) }.reduce(0, +).squareRoot()
            for i in 0..<dim { values[row * dim + i] = Float(Double(values[row * dim + i]) / norm) }
        }
        return values
    }

    /// Every score computed the way the kernel does (same sums), ranked by score then id.
    static func bruteForce(_ queries: [Float], queryCount: Int, matrix: VectorMatrix, k: Int,
                           allowed: (Int, Int) -> Bool = { _, _ in true }) -> [[SearchHit]] {
        let stored = (0..<matrix.count).map { matrix.vector(row: $0) }
        return (0..<queryCount).map { q in
            var scores: [SearchHit] = []
            for row in 0..<matrix.count where allowed(q, row) {
                var dot: Double = 0
                for i in 0..<matrix.dim { dot += Double(queries[q * matrix.dim + i]) * Double(stored[row][i]) }
                scores.append(SearchHit(id: matrix.ids[row], score: Float(dot)))
            }
            return Array(scores.sorted { $0.ranksBefore($1) }.prefix(k))
        }
    }

    static func sameAnswer(_ actual: [[SearchHit]], _ expected: [[SearchHit]]) -> Bool {
        // Scores from a float kernel and a double reference agree to rounding; the ids must
        // agree except where two scores are closer than that.
        zip(actual, expected).allSatisfy { a, e in
            a.count == e.count && zip(a, e).allSatisfy { abs($0.score - $1.score) < 1e-5 }
        } && zip(actual, expected).map { zip($0, $1).filter { $0.id != $1.id }.count }.reduce(0, +) <= 2
    }

    @Test(arguments: [1, 7, 300])
    func topKEqualsBruteForceAtAnyThreadCount(queries queryCount: Int) throws {
        let dim = 64, count = 3001
        let vectors = Self.unitVectors(count, dim: dim, seed: 1)
        let ids = (0..<count).map { Int64(10 * $0 + 3) }
        let matrix = VectorMatrix(dim: dim, ids: ids, vectors: FloatBuffer(vectors), typeCodes: (0..<count).map { UInt8($0 % 5) })
        let queries = Self.unitVectors(queryCount, dim: dim, seed: 2)
        let expected = Self.bruteForce(queries, queryCount: queryCount, matrix: matrix, k: 10)
        let one = VectorSearch.search(queries, queryCount: queryCount, in: matrix, k: 10, threads: 1)
        let two = VectorSearch.search(queries, queryCount: queryCount, in: matrix, k: 10, threads: 2)
        #expect(one == two, "the same hits, bit for bit, at 1 and 2 threads")
        let alone = VectorSearch.search(Array(queries.prefix(dim)), queryCount: 1, in: matrix, k: 10, threads: 2)
        #expect(alone[0] == one[0], "a query alone gets the same scores as in a batch")
        #expect(Self.sameAnswer(one, expected))
        #expect(one.allSatisfy { $0.count == 10 })
    }

    @Test func tiesAreBrokenByTheLowerId() {
        // Four identical vectors: all tie; the lowest ids win, in id order.
        let dim = 16
        let base = Self.unitVectors(1, dim: dim, seed: 5)
        let vectors = (0..<40).flatMap { _ in base }
        let ids: [Int64] = (0..<40).map { Int64(1000 - $0) }   // descending ids in storage order
        let matrix = VectorMatrix(dim: dim, ids: ids, vectors: FloatBuffer(vectors))
        for threads in [1, 2] {
            let hits = VectorSearch.search(base, queryCount: 1, in: matrix, k: 3, threads: threads)[0]
            #expect(hits.map(\.id) == [961, 962, 963])
        }
    }

    @Test func filtersKeepOnlyAllowedTypesAndDropTheQueryItem() {
        let dim = 32, count = 500
        let vectors = Self.unitVectors(count, dim: dim, seed: 8)
        let codes = (0..<count).map { UInt8($0 % 4) }
        let matrix = VectorMatrix(dim: dim, ids: (0..<count).map(Int64.init), vectors: FloatBuffer(vectors), typeCodes: codes)
        let query = Array(vectors[(7 * dim)..<(8 * dim)])   // row 7 itself, type 3
        var filter = SearchFilter(queries: 1, allowedTypes: [1, 3])
        filter.excludedRow[0] = 7
        let hits = VectorSearch.search(query, queryCount: 1, in: matrix, k: 20, filter: filter, threads: 2)[0]
        let expected = Self.bruteForce(query, queryCount: 1, matrix: matrix, k: 20) { _, row in row != 7 && [1, 3].contains(codes[row]) }
        #expect(hits.map(\.id) == expected[0].map(\.id))
        var sameType = SearchFilter(queries: 1)
        sameType.excludedType[0] = 3
        let others = VectorSearch.search(query, queryCount: 1, in: matrix, k: 20, filter: sameType)[0]
        #expect(others.allSatisfy { codes[Int($0.id)] != 3 } && others.count == 20)
    }

    @Test func fewerVectorsThanKGivesThemAll() {
        let matrix = VectorMatrix(dim: 8, ids: [5, 6, 7], vectors: FloatBuffer(Self.unitVectors(3, dim: 8, seed: 3)))
        let hits = VectorSearch.search(Self.unitVectors(2, dim: 8, seed: 4), queryCount: 2, in: matrix, k: 10, threads: 2)
        #expect(hits.map(\.count) == [3, 3])
    }
}
