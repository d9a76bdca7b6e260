import LoomCore
import LoomInference
import LoomKernels
import Testing
@testable import LoomIndex

/// The first pass of a lone query (8-bit codes and score intervals) and the exact answer it must
/// still give: on random unit vectors and on vectors built to make rounding hurt.
@Suite struct QuantizedSearchTests {
    /// Rows of `dim` floats of several kinds: random unit vectors; one large component over small
    /// noise (its codes keep almost nothing of the noise); a vector of very different magnitudes;
    /// not normalised; all zero; and near-copies of one vector, whose intervals all overlap.
    static func awkwardVectors(_ count: Int, dim: Int, seed: UInt64) -> [Float] {
        var random = SeededRandom(seed: seed)
        let base = VectorSearchTests.unitVectors(1, dim: dim, seed: seed + 100)
        var values: [Float] = []
        for row in 0..<count {
            let noise = random.floats(dim)
            switch row % 6 {
            case 0: values += VectorSearchTests.unitVectors(1, dim: dim, seed: seed &+ UInt64(row))
            case 1: values += (0..<dim).map { $0 == row % dim ? 0.99 : noise[$0] * 0.004 }
            case 2: values += (0..<dim).map { noise[$0] * Float(1 << ($0 % 20)) / Float(1 << 19) }
            case 3: values += noise.map { $0 * 3 }
            case 4: values += [Float](repeating: 0, count: dim)
            default: values += zip(base, noise).map { $0 + $1 * 1e-5 }
            }
        }
        return values
    }

    /// The kernel's own float score of `query` with every row.
    static func floatScores(_ query: [Float], matrix: VectorMatrix) -> [Float] {
        var scores = [Float](repeating: 0, count: matrix.count)
        query.withUnsafeBufferPointer { q in
            scores.withUnsafeMutableBufferPointer {
                SGEMM.multiply(m: 1, a: q.baseAddress!, lda: matrix.dim, b: matrix.packed, columns: 0..<matrix.count,
                               c: $0.baseAddress!, ldc: matrix.count)
            }
        }
        return scores
    }

    /// The 8-bit pass's integer dot products against the definition (codes × query codes), from
    /// every instruction set this CPU runs (AVX2; AVX-512 VNNI where present): the same integers.
    /// Odd pair counts (dim 5, 255) and an odd group count take each kernel's tail paths.
    @Test(arguments: [(5, 17), (64, 3001), (255, 517), (3, 40), (256, 8)])
    func integerDotsMatchTheDefinitionOnEveryInstructionSet(dim: Int, count: Int) {
        let vectors = Self.awkwardVectors(count, dim: dim, seed: 21)
        let quantized = vectors.withUnsafeBufferPointer { QuantizedVectors(vectors: $0.baseAddress!, count: count, dim: dim) }
        let query = VectorSearchTests.unitVectors(1, dim: dim, seed: 22)
        let rounded = query.withUnsafeBufferPointer { QuantizedVectors.Query($0.baseAddress!, dim: dim, pairs: quantized.pairs) }
        var expected = [Int32](repeating: 0, count: count)
        for row in 0..<count {
            let base = row / 8 * quantized.pairs * 16 + row % 8 * 2
            for i in 0..<(2 * quantized.pairs) {
                expected[row] += Int32(quantized.codes[base + i / 2 * 16 + i % 2]) * Int32(rounded.codes[i])
            }
        }
        #expect(expected.contains { $0 != 0 })
        let isas: [VectorISA] = CPUFeatures.hasAVX512 ? [.avx2, .avx512] : [.avx2]
        for isa in isas {
            var dots = [Int32](repeating: 0, count: (count + 7) / 8 * 8)
            dots.withUnsafeMutableBufferPointer { quantized.dots(rounded, rows: 0..<count, into: $0.baseAddress!, isa: isa) }
            #expect(Array(dots.prefix(count)) == expected, "dim \(dim), \(count) rows, \(isa)")
        }
    }

    @Test(arguments: [(64, 3001), (255, 517), (3, 40)])
    func intervalsHoldEveryExactScore(dim: Int, count: Int) {
        let vectors = Self.awkwardVectors(count, dim: dim, seed: 11)
        let matrix = VectorMatrix(dim: dim, ids: (0..<count).map(Int64.init), vectors: FloatBuffer(vectors))
        let queries = [Array(vectors[(5 * dim)..<(6 * dim)]), Array(vectors[dim..<(2 * dim)]), Array(vectors[(3 * dim)..<(4 * dim)]),
                       VectorSearchTests.unitVectors(1, dim: dim, seed: 12), [Float](repeating: 0, count: dim)]
        let dots = UnsafeMutablePointer<Int32>.allocate(capacity: (count + 7) / 8 * 8)
        defer { dots.deallocate() }
        var lower = [Float](repeating: 0, count: count), upper = lower
        var widest: Float = 0
        for (number, query) in queries.enumerated() {
            let rounded = query.withUnsafeBufferPointer { QuantizedVectors.Query($0.baseAddress!, dim: dim, pairs: matrix.quantized.pairs) }
            lower.withUnsafeMutableBufferPointer { l in
                upper.withUnsafeMutableBufferPointer { u in
                    matrix.quantized.dots(rounded, rows: 0..<count, into: dots)
                    matrix.quantized.intervals(rounded, rows: 0..<count, dots: dots, lower: l.baseAddress!, upper: u.baseAddress!)
                }
            }
            let exact = Self.floatScores(query, matrix: matrix)
            let outside = (0..<count).filter { !(lower[$0] <= exact[$0] && exact[$0] <= upper[$0]) }
            #expect(outside.isEmpty, "rows \(outside.prefix(5)) fall outside their interval")
            if number == 3 {   // random unit query, random unit rows
                widest = stride(from: 0, to: count, by: 6).map { upper[$0] - lower[$0] }.max()!
            }
        }
        // Wide enough to be safe, narrow enough to be worth it (the bound is not just "anything"):
        // scores of random unit vectors spread over about ±3/√dim.
        #expect(widest > 0 && widest < 0.3 / Float(dim).squareRoot(), "widest interval \(widest)")
    }

    @Test(arguments: [1, 10, 50])
    func lonesQueriesGetTheFullScansAnswerBitForBit(k: Int) {
        let dim = 48, count = 2011
        let vectors = Self.awkwardVectors(count, dim: dim, seed: 21)
        let codes = (0..<count).map { UInt8($0 % 3) }
        let matrix = VectorMatrix(dim: dim, ids: (0..<count).map { Int64(count - $0) }, vectors: FloatBuffer(vectors), typeCodes: codes)
        for row in [0, 1, 2, 3, 5, 11, 2010] {
            let query = Array(vectors[(row * dim)..<((row + 1) * dim)])
            var filter = SearchFilter(queries: 1, allowedTypes: [0, 2])
            filter.excludedRow[0] = row
            for filter in [nil, filter] {
                let full = VectorSearch.scan(FloatBuffer(query), queryCount: 1, rows: 0..<count, matrix: matrix, k: k, filter: filter)[0]
                for threads in [1, 2] {
                    let lone = VectorSearch.search(query, queryCount: 1, in: matrix, k: k, filter: filter, threads: threads)[0]
                    #expect(lone == full.sorted, "row \(row), k \(k), \(threads) threads, filter \(filter != nil)")
                }
            }
        }
    }

    @Test func aRoundedQueryKeepsItsCodesWithinRange() {
        let query: [Float] = [0.5, -1, 0.25, 0, 1e-9]
        let rounded = query.withUnsafeBufferPointer { QuantizedVectors.Query($0.baseAddress!, dim: 5, pairs: 3) }
        #expect(rounded.codes == [1024, -2047, 512, 0, 0, 0])
        let rows = QuantizedVectors(vectors: query, count: 1, dim: 5)
        #expect(Array(rows.codes.prefix(6)) == [64, -127, 0, 0, 0, 0] && rows.codes[16] == 32)
    }
}
