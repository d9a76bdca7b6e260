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

    /// dX (`rows` × `inputs`) = dY · W.
    static func inputGradient(_ dy: UnsafePointer<Float>, rows: Int, weight: UnsafePointer<Float>, inputs: Int, outputs: Int,
                              into dx: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        guard rows > 0 else { return }
        let packed = pack(weight, depth: outputs, columns: inputs, arena: arena)
        SGEMM.multiply(m: rows, a: dy, lda: outputs, b: packed, c: dx, ldc: inputs, threads: threads)
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
        transpose(dy, rows: rows, columns: outputs, into: transposed.pointer)
        weightGradient(transposed: transposed.pointer, x: x, rows: rows, inputs: inputs, outputs: outputs, weight: dw, threads: threads,
                       arena: arena)
        if let db { columnSums(dy, rows: rows, columns: outputs, into: db) }
    }

    /// dW = dYᵀ · X with dYᵀ given (`outputs` × `rows`): the LSTM uses one transposed gate
    /// gradient for both of its weights.
    static func weightGradient(transposed dyT: UnsafePointer<Float>, x: UnsafePointer<Float>, rows: Int, inputs: Int,
                               outputs: Int, weight dw: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        let packed = pack(x, depth: rows, columns: inputs, arena: arena)
        SGEMM.multiply(m: outputs, a: dyT, lda: rows, b: packed, c: dw, ldc: inputs, threads: threads)
    }

    /// dW (`outputs` × `inputs`) = (Xᵀ·dY)ᵀ with dY already packed (`rows` × `outputs`): one
    /// packed gradient serves every weight that multiplies it, and transposing X (and the small
    /// result) is cheaper than transposing dY.
    static func transposedWeightGradient(x: UnsafePointer<Float>, rows: Int, inputs: Int, packedGradient: PackedMatrix,
                                         weight dw: UnsafeMutablePointer<Float>, threads: Int, arena: TrainingArena) {
        let outputs = packedGradient.columns
        let xT = arena.take(inputs * rows), result = arena.take(inputs * outputs)
        transpose(x, rows: rows, columns: inputs, into: xT.pointer)
        SGEMM.multiply(m: inputs, a: xT.pointer, lda: rows, b: packedGradient, c: result.pointer, ldc: outputs, threads: threads)
        transpose(result.pointer, rows: inputs, columns: outputs, into: dw)
    }

    /// B = M (`depth` rows of `columns`) packed into arena memory.
    static func pack(_ m: UnsafePointer<Float>, depth: Int, columns: Int, arena: TrainingArena) -> PackedMatrix {
        PackedMatrix(depth: depth, columns: columns, rowMajor: m, ldb: columns,
                     storage: arena.take(PackedMatrix.storageCount(depth: depth, columns: columns)))
    }

    /// B = Wᵀ for W of `columns` rows of `depth`, packed into arena memory.
    static func packTransposed(_ w: UnsafePointer<Float>, depth: Int, columns: Int, arena: TrainingArena) -> PackedMatrix {
        PackedMatrix(depth: depth, columns: columns, transposing: w, ldw: depth,
                     storage: arena.take(PackedMatrix.storageCount(depth: depth, columns: columns)))
    }

    /// Σ over rows, row by row in order (the same bits at any thread count); rows are read front
    /// to back, eight columns at a time.
    static func columnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        sums.initialize(repeating: 0, count: columns)
        let out = UnsafeMutableRawPointer(sums)
        for row in 0..<rows {
            let source = UnsafeRawPointer(m + row * columns)
            var column = 0
            while column < columns {
                let lanes = columns - column
                Lanes.store(Lanes.load(out, floatOffset: column, count: lanes) + Lanes.load(source, floatOffset: column, count: lanes),
                            out, floatOffset: column, count: lanes)
                column += 8
            }
        }
    }

    /// Out-of-place transpose in 8×8 tiles (both sides stay in cache lines).
    static func transpose(_ m: UnsafePointer<Float>, rows: Int, columns: Int, into t: UnsafeMutablePointer<Float>) {
        let tile = 8
        var r0 = 0
        while r0 < rows {
            let r1 = min(r0 + tile, rows)
            var c0 = 0
            while c0 < columns {
                let c1 = min(c0 + tile, columns)
                for r in r0..<r1 {
                    for c in c0..<c1 { t[c * rows + r] = m[r * columns + c] }
                }
                c0 = c1
            }
            r0 = r1
        }
    }
}
