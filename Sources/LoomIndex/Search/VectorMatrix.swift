import LoomKernels

/// The index's vectors in memory, packed once for the matrix-product kernel (vectors as the
/// columns of a dim × count matrix), with each row's item id and coarse type code.
public struct VectorMatrix: Sendable {
    public let dim: Int
    public let ids: [Int64]
    /// A small code per row (the item's coarse type), for filters; see `typeNames`.
    public let typeCodes: [UInt8]
    public let typeNames: [String]
    let packed: PackedMatrix
    /// The same vectors in 8 bits, for queries that come alone.
    let quantized: QuantizedVectors

    public var count: Int { ids.count }

    /// `vectors` holds `ids.count` rows of `dim` floats.
    public init(dim: Int, ids: [Int64], vectors: FloatBuffer, typeCodes: [UInt8]? = nil, typeNames: [String] = []) {
        precondition(vectors.count >= ids.count * dim)
        self.init(dim: dim, ids: ids, packed: PackedMatrix(depth: dim, columns: ids.count, transposing: vectors.pointer, ldw: dim),
                  quantized: QuantizedVectors(vectors: vectors.pointer, count: ids.count, dim: dim),
                  typeCodes: typeCodes, typeNames: typeNames)
    }

    /// Vectors already packed and rounded (from the cache file beside an index).
    init(dim: Int, ids: [Int64], packed: PackedMatrix, quantized: QuantizedVectors, typeCodes: [UInt8]? = nil, typeNames: [String] = []) {
        precondition(packed.depth == dim && packed.columns == ids.count && quantized.count == ids.count && quantized.pairs == (dim + 1) / 2)
        self.dim = dim
        self.ids = ids
        self.typeCodes = typeCodes ?? [UInt8](repeating: 0, count: ids.count)
        self.typeNames = typeNames
        self.packed = packed
        self.quantized = quantized
    }

    /// The stored vector of row `row`.
    public func vector(row: Int) -> [Float] { packed.column(row) }
}
