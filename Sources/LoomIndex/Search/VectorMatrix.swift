import Foundation
import LoomCore
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
        // Packing (for the batched search) and rounding to 8 bits (the lone-query pass) read the
        // same vectors and write apart: side by side on two threads when there are two, which
        // halves the part of loading an index that is not reading it.
        let source = UnsafeSendablePointer(vectors.pointer)
        let parts = (try? ParallelMap.map([0, 1], threads: ProcessInfo.processInfo.activeProcessorCount) { part -> VectorMatrixPart in
            part == 0 ? .packed(PackedMatrix(depth: dim, columns: ids.count, transposing: source.pointer, ldw: dim))
                      : .quantized(QuantizedVectors(vectors: source.pointer, count: ids.count, dim: dim))
        }) ?? []
        guard parts.count == 2, case .packed(let packed) = parts[0], case .quantized(let quantized) = parts[1] else {
            preconditionFailure("ParallelMap returns one result per item, in order")
        }
        withExtendedLifetime(vectors) {}
        self.init(dim: dim, ids: ids, packed: packed, quantized: quantized, typeCodes: typeCodes, typeNames: typeNames)
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

/// One of the two halves `VectorMatrix` makes from the same vectors at once.
private enum VectorMatrixPart: Sendable {
    case packed(PackedMatrix)
    case quantized(QuantizedVectors)
}

/// The vectors' address, handed to the two threads that only read it while the buffer lives.
private struct UnsafeSendablePointer: @unchecked Sendable {
    // @unchecked: read-only use, within `VectorMatrix.init`, which keeps the buffer alive.
    let pointer: UnsafePointer<Float>

    init(_ pointer: UnsafeMutablePointer<Float>) {
        self.pointer = UnsafePointer(pointer)
    }
}
