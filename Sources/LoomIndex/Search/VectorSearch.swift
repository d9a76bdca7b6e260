import LoomCore
import LoomKernels

/// Which rows a query may return.
public struct SearchFilter: Sendable {
    /// Only rows whose type code is in this set (nil: any).
    public var allowedTypes: Set<UInt8>?
    /// Per query: a type code to leave out (the query item's own type), or nil.
    public var excludedType: [UInt8?]
    /// Per query: a row to leave out (the query item itself), or nil.
    public var excludedRow: [Int?]

    public init(queries: Int, allowedTypes: Set<UInt8>? = nil) {
        self.allowedTypes = allowedTypes
        excludedType = [UInt8?](repeating: nil, count: queries)
        excludedRow = [Int?](repeating: nil, count: queries)
    }

    /// Whether query `query` may return row `row`, of type code `type`.
    @inline(__always)
    func admits(row: Int, type: UInt8, query: Int) -> Bool {
        if let allowedTypes, !allowedTypes.contains(type) { return false }
        return excludedType[query] != type && excludedRow[query] != row
    }
}

/// Exact top-k by inner product (cosine, for unit vectors) of a batch of queries against a
/// `VectorMatrix`: scores come a block at a time from the packed SGEMM kernel and each block is
/// scanned into one bounded heap per query, skipping 64 scores at a time while none beats the
/// query's current k-th. Threads take fixed contiguous parts of the database and their heaps
/// are merged; the ranking (score, then lower id) makes the answer the same at any thread count.
public enum VectorSearch {
    static let queryBlock = 192
    static let vectorBlock = 1024
    /// Up to this many queries are answered from the 8-bit codes first (`scanQuantized`); larger
    /// batches are limited by arithmetic, not memory, and go straight through the float products
    /// (a 16-bit multiply-add kernel over the codes measured no faster than SGEMM for them).
    static let quantizedQueryLimit = 2

    /// `queries` holds `queryCount` rows of `matrix.dim` floats. Returns each query's hits, best first.
    public static func search(
        _ queries: [Float], queryCount: Int, in matrix: VectorMatrix, k: Int, filter: SearchFilter? = nil, threads: Int = 1
    ) -> [[SearchHit]] {
        precondition(queries.count == queryCount * matrix.dim)
        guard queryCount > 0 else { return [] }
        let strips = (matrix.count + 15) / 16
        let parts = max(1, min(threads, strips))
        let queryBuffer = FloatBuffer(queries)
        let partial = (try? ParallelMap.map(Array(0..<parts), threads: parts) { part -> [TopK] in
            let rows = min(matrix.count, strips * part / parts * 16)..<min(matrix.count, strips * (part + 1) / parts * 16)
            if queryCount <= quantizedQueryLimit {
                return scanQuantized(queryBuffer, queryCount: queryCount, rows: rows, matrix: matrix, k: k, filter: filter)
            }
            return scan(queryBuffer, queryCount: queryCount, rows: rows, matrix: matrix, k: k, filter: filter)
        }) ?? []
        return (0..<queryCount).map { query in
            var merged = TopK(k: k)
            for part in partial { merged.merge(part[query]) }
            return merged.sorted
        }
    }

    /// The heaps of every query over the database rows `rows` (a strip-aligned range).
    static func scan(_ queries: FloatBuffer, queryCount: Int, rows: Range<Int>, matrix: VectorMatrix, k: Int,
                     filter: SearchFilter?) -> [TopK] {
        var heaps = (0..<queryCount).map { _ in TopK(k: k) }
        guard !rows.isEmpty else { return heaps }
        let scores = FloatBuffer(count: min(queryCount, queryBlock) * vectorBlock, zeroed: false)
        var q0 = 0
        while q0 < queryCount {
            let queriesHere = min(queryBlock, queryCount - q0)
            var v0 = rows.lowerBound
            while v0 < rows.upperBound {
                let v1 = min(rows.upperBound, v0 + vectorBlock)
                SGEMM.multiply(m: queriesHere, a: queries.pointer + q0 * matrix.dim, lda: matrix.dim, b: matrix.packed,
                               columns: v0..<v1, c: scores.pointer, ldc: vectorBlock)
                for q in 0..<queriesHere {
                    collect(scores.pointer + q * vectorBlock, rows: v0..<v1, into: &heaps[q0 + q], query: q0 + q,
                            matrix: matrix, filter: filter)
                }
                v0 = v1
            }
            q0 += queriesHere
        }
        return heaps
    }

    /// Offers the scores of one query over rows `rows` (scores[0] is row rows.lowerBound).
    @inline(__always)
    static func collect(_ scores: UnsafePointer<Float>, rows: Range<Int>, into heap: inout TopK, query: Int,
                        matrix: VectorMatrix, filter: SearchFilter?) {
        let count = rows.count
        var threshold = heap.threshold
        var i = 0
        func consider(_ offset: Int) {
            let score = scores[offset]
            guard score >= threshold else { return }
            let row = rows.lowerBound + offset
            if let filter, !filter.admits(row: row, type: matrix.typeCodes[row], query: query) { return }
            heap.offer(SearchHit(id: matrix.ids[row], score: score))
            threshold = heap.threshold
        }
        // 64 scores at a time: their maximum (vector max, then across lanes) against the
        // threshold; only a block that holds a candidate is looked at score by score. (The
        // stdlib's `any(mask)` and `.max()` run lane by lane, slower than the products.)
        while i + 64 <= count {
            if maximum64(scores + i) >= threshold {
                for offset in i..<(i + 64) { consider(offset) }
            }
            i += 64
        }
        while i < count {
            consider(i)
            i += 1
        }
    }

    /// The largest of 64 floats: a vector max, then across lanes.
    @inline(__always)
    static func maximum64(_ values: UnsafePointer<Float>) -> Float {
        let raw = UnsafeRawPointer(values)
        var top = raw.loadUnaligned(as: SIMD8<Float>.self)
        for part in 1..<8 {
            let next = raw.loadUnaligned(fromByteOffset: 32 * part, as: SIMD8<Float>.self)
            top = top.replacing(with: next, where: next .> top)
        }
        let half = top.lowHalf.replacing(with: top.highHalf, where: top.highHalf .> top.lowHalf)
        let quarter = half.lowHalf.replacing(with: half.highHalf, where: half.highHalf .> half.lowHalf)
        return Swift.max(quarter[0], quarter[1])
    }
}
