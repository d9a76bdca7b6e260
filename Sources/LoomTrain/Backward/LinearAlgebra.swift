import CLoomKernels
import LoomInference
import LoomKernels
/// The matrix products of a linear layer's forward and backward passes, on the packed SGEMM:
/// Y = X·Wᵀ + b; dX = dY·W; dW = dYᵀ·X; db = Σ dY. Weights change every step, so they are
/// packed per step (a few milliseconds against the products themselves).
enum LinearAlgebra {
    /// `rows` × `outputs` = X · Wᵀ + b; W is `outputs` × `inputs` (PyTorch's layout).
    static func forward(_ x: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        inputs: Int, outputs: Int, into y: UnsafeMutablePointer<Float>, activation: Activation = .none,
                        threads: Int, arena: TrainingArena) {
        guard rows > 0 else { return }
        let packed = packTransposed(weight, depth: inputs, columns: outputs, arena: arena)
        SGEMM.multiply(m: rows, a: x, lda: inputs, b: packed, c: y, ldc: outputs, bias: bias, activation: activation, threads: threads)
    }

    /// dX (`rows` × `inputs`) = dY · W; dY's rows are `ldy` floats apart (by default `outputs`).
    static func inputGradient(_ dy: UnsafePointer<Float>, rows: Int, ldy: Int? = nil, weight: UnsafePointer<Float>, inputs: Int,
                              outputs: Int, into dx: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        guard rows > 0 else { return }
        let packed = pack(weight, depth: outputs, columns: inputs, arena: arena)
        SGEMM.multiply(m: rows, a: dy, lda: ldy ?? outputs, b: packed, c: dx, ldc: inputs, threads: threads)
    }

    /// dW (`outputs` × `inputs`) = dYᵀ · X and db = Σ rows of dY, written over what was there.
    static func weightGradient(_ dy: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                               weight dw: UnsafeMutablePointer<Float>, bias db: UnsafeMutablePointer<Float>?, threads: Int,
                               arena: TrainingArena) {
        guard rows > 0 else {
            dw.initialize(repeating: 0, count: outputs * inputs)
            db?.initialize(repeating: 0, count: outputs)
            return
        }
        let transposed = arena.take(outputs * rows)
        transpose(dy, rows: rows, columns: outputs, into: transposed.pointer, threads: threads)
        weightGradient(transposed: transposed.pointer, x: x, rows: rows, inputs: inputs, outputs: outputs, weight: dw, threads: threads,
                       arena: arena)
        if let db { columnSums(dy, rows: rows, columns: outputs, into: db, threads: threads) }
    }

    /// dW = dYᵀ · X with dYᵀ given (`outputs` × `rows`): the LSTM uses one transposed gate
    /// gradient for both of its weights.
    static func weightGradient(transposed dyT: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, inputs: Int,
                               outputs: Int, weight dw: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        let packed = pack(x, depth: rows, columns: inputs, arena: arena, threads: threads)
        SGEMM.multiply(m: outputs, a: dyT, lda: rows, b: packed, c: dw, ldc: inputs, threads: threads)
    }

    /// dW (`outputs` × `inputs`) = (Xᵀ·dY)ᵀ with dY already packed (`rows` × `outputs`): one
    /// packed gradient serves every weight that multiplies it, and transposing X (and the small
    /// result) is cheaper than transposing dY.
    static func transposedWeightGradient(x: UnsafePointer<Float>, rows: Int, inputs: Int, packedGradient: PackedMatrix,
                                         weight dw: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        let outputs = packedGradient.columns
        // Xᵀ's rows are `rows` floats long: padded where that would alias, so SGEMM reads them in place.
        let ldxT = SGEMM.unaliasedStride(rows)
        let xT = arena.take(inputs * ldxT), result = arena.take(inputs * outputs)
        transpose(x, rows: rows, columns: inputs, into: xT.pointer, ldt: ldxT, threads: threads)
        SGEMM.multiply(m: inputs, a: xT.pointer, lda: ldxT, b: packedGradient, c: result.pointer, ldc: outputs, threads: threads)
        transpose(result.pointer, rows: inputs, columns: outputs, into: dw, threads: threads)
    }

    /// B = M (`depth` rows of `columns`, `ld` floats apart: by default `columns`) packed into arena
    /// memory; with `columnSums`, M's column sums too (as `columnSums(_:)` gives them).
    static func pack(_ m: UnsafePointer<Float>, depth: Int, columns: Int, ld: Int? = nil, arena: TrainingArena,
                     threads: Int = 1, columnSums: UnsafeMutablePointer<Float>? = nil) -> PackedMatrix {
        PackedMatrix(depth: depth, columns: columns, rowMajor: m, ldb: ld ?? columns,
                     storage: arena.take(PackedMatrix.storageCount(depth: depth, columns: columns)), threads: threads,
                     columnSums: columnSums)
    }

    /// B = Wᵀ for W of `columns` rows of `depth`, packed into arena memory.
    static func packTransposed(_ w: UnsafePointer<Float>, depth: Int, columns: Int, arena: TrainingArena) -> PackedMatrix {
        PackedMatrix(depth: depth, columns: columns, transposing: w, ldw: depth,
                     storage: arena.take(PackedMatrix.storageCount(depth: depth, columns: columns)))
    }

    /// Σ over the rows of a dense `rows` × `columns` matrix, row by row in order; rows are read
    /// front to back, eight columns at a time. `threads` > 1 splits the columns (eight at a time):
    /// each column is still summed row by row, so the same bits at any thread count.
    static func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>,
                           threads: Int = 1) {
        sums.initialize(repeating: 0, count: columns)
        let (source, out) = (UnsafeRawPointer(m), UnsafeMutableRawPointer(sums))
        WorkSplit.forEach(columns, grain: 8, threads: threads, minimum: rows > 256 ? 8 : columns + 1) { part in
            for row in 0..<rows { add(source + row * columns * 4, into: out, columns: part) }
        }
    }

    /// out[c] += row[c] for the columns `columns`, eight at a time (a last, shorter group too).
    @inline(__always)
    static func add(_ row: UnsafeRawPointer, into out: UnsafeMutableRawPointer, columns: Range<Int>) {
        var column = columns.lowerBound
        while column < columns.upperBound {
            let lanes = columns.upperBound - column
            Lanes.store(Lanes.load(out, floatOffset: column, count: lanes) + Lanes.load(row, floatOffset: column, count: lanes),
                        out, floatOffset: column, count: lanes)
            column += 8
        }
    }

    /// Out-of-place transpose (`rows` × `columns` → `columns` rows `ldt` floats apart, by default
    /// `rows`), 8×8 blocks in registers.
    /// `threads` > 1 splits the source rows into bands of whole 8×8 blocks.
    static func transpose(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into t: UnsafeMutablePointer<Float>, ldt: Int? = nil,
                          threads: Int = 1) {
        let ld = ldt ?? rows
        WorkSplit.forEach(rows, grain: 8, threads: threads, minimum: max(8, 65_536 / max(1, columns))) { band in
            loom_transpose_f32(m + band.lowerBound * columns, band.count, columns, t + band.lowerBound, ld)
        }
    }
}
