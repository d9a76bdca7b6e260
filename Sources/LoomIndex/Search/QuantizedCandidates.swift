import LoomKernels

/// One query's way through the 8-bit pass (`VectorSearch.scanQuantized`): the k best lower ends
/// of the rows seen so far (their worst is the bar) and the rows whose upper end reached the bar
/// when they were seen. Rows are offered a block at a time, from their integer dot products;
/// `finish` scores the candidates still at or above the final bar with the float kernel.
struct QuantizedCandidates {
    let query: QuantizedVectors.Query
    let queryIndex: Int
    private var lowest: TopK
    private var candidates: [(row: Int, upper: Float)] = []

    init(query: UnsafePointer<Float>, index: Int, matrix: VectorMatrix, k: Int) {
        self.query = QuantizedVectors.Query(query, dim: matrix.dim, pairs: matrix.quantized.pairs)
        queryIndex = index
        lowest = TopK(k: k)
    }

    /// Rows `rows` (a block starting at a multiple of 8) with this query's dot products `dots`;
    /// `lower` and `upper` are scratch space for `rows.count` floats.
    mutating func offer(rows: Range<Int>, dots: UnsafePointer<Int32>, lower: UnsafeMutablePointer<Float>,
                        upper: UnsafeMutablePointer<Float>, matrix: VectorMatrix, filter: SearchFilter?) {
        matrix.quantized.intervals(query, rows: rows, dots: dots, lower: lower, upper: upper)
        // Lower ends first, so that the bar already counts this block's best rows.
        VectorSearch.collect(lower, rows: rows, into: &lowest, query: queryIndex, matrix: matrix, filter: filter)
        let bar = lowest.threshold
        var offset = 0
        while offset < rows.count {
            let end = min(rows.count, offset + 64)
            if end - offset < 64 || VectorSearch.maximum64(upper + offset) >= bar {
                for at in offset..<end where upper[at] >= bar {
                    let row = rows.lowerBound + at
                    if let filter, !filter.admits(row: row, type: matrix.typeCodes[row], query: queryIndex) { continue }
                    candidates.append((row, upper[at]))
                }
            }
            offset = end
        }
    }

    /// The exact top k of the rows offered: each candidate's strip of 16 rows scored through the
    /// same kernel as a full scan, so the hits carry the same bits.
    func finish(_ floats: UnsafePointer<Float>, matrix: VectorMatrix, k: Int) -> TopK {
        var hits = TopK(k: k)
        let bar = lowest.threshold
        var scores = [Float](repeating: 0, count: 16)
        var scoredStrip = -1
        for (row, upperEnd) in candidates where upperEnd >= bar {
            let strip = row / 16
            if strip != scoredStrip {
                scores.withUnsafeMutableBufferPointer {
                    SGEMM.multiply(m: 1, a: floats, lda: matrix.dim, b: matrix.packed,
                                   columns: (strip * 16)..<min(matrix.count, strip * 16 + 16), c: $0.baseAddress!, ldc: 16)
                }
                scoredStrip = strip
            }
            hits.offer(SearchHit(id: matrix.ids[row], score: scores[row % 16]))
        }
        return hits
    }
}
