import Dispatch

/// Single-precision matrix product C = A · B (+ bias, activation), with B packed ahead of time.
///
/// Blocking: B is walked in depth blocks of 256 and column blocks of 256 (256 KB, held in L2);
/// for each 6-row tile of A (6 KB per depth block, held in L1) the 6×16 register-tiled
/// micro-kernel runs over the block's strips of 16 columns. Twelve SIMD8 accumulators, two B
/// vectors and one broadcast fill 15 of the 16 AVX registers.
///
/// Every element of C is summed in the same order — bias (or zero), then each depth block in
/// turn, k ascending inside — whatever the thread count, because threads only split rows.
public enum SGEMM {
    public static let depthBlock = 256
    static let columnBlock = 256
    static let rowTile = 6

    /// C[m×N] = A[m×K] · B[K×N] (+ bias[N]) then `activation`. A is row-major with stride `lda`,
    /// C with stride `ldc`. `threads` > 1 splits the rows into that many fixed chunks.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>? = nil, activation: Activation = .none, threads: Int = 1
    ) {
        guard m > 0, b.columns > 0 else { return }
        let tiles = (m + rowTile - 1) / rowTile
        let chunks = max(1, min(threads, tiles))
        if chunks == 1 {
            multiplyRows(0, m, a: a, lda: lda, b: b, c: c, ldc: ldc, bias: bias, activation: activation)
            return
        }
        // Raw addresses cross into the worker closures; each worker writes only its own rows of C.
        let (aAddress, cAddress, biasAddress) = (Int(bitPattern: a), Int(bitPattern: c), Int(bitPattern: bias))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let firstTile = tiles * chunk / chunks
            let endTile = tiles * (chunk + 1) / chunks
            multiplyRows(
                firstTile * rowTile, min(m, endTile * rowTile),
                a: UnsafePointer(bitPattern: aAddress)!, lda: lda, b: b,
                c: UnsafeMutablePointer(bitPattern: cAddress)!, ldc: ldc,
                bias: UnsafePointer(bitPattern: biasAddress), activation: activation)
        }
    }

    static func multiplyRows(
        _ rowStart: Int, _ rowEnd: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, activation: Activation
    ) {
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: rowTile * 16)
        defer { tile.deallocate() }
        let strips = b.paddedColumns / 16
        var k0 = 0
        while k0 < b.depth {
            let blockDepth = min(depthBlock, b.depth - k0)
            let first = k0 == 0
            let last = k0 + blockDepth == b.depth
            var stripStart = 0
            while stripStart < strips {
                let stripEnd = min(strips, stripStart + columnBlock / 16)
                var row = rowStart
                while row < rowEnd {
                    let rows = min(rowTile, rowEnd - row)
                    for strip in stripStart..<stripEnd {
                        microKernel(
                            a: a + row * lda + k0, lda: lda, rows: rows,
                            b: b.strip(k0: k0, blockDepth: blockDepth, strip: strip), depth: blockDepth,
                            tile: tile)
                        let column = strip * 16
                        storeTile(
                            tile, rows: rows, columns: min(16, b.columns - column),
                            c: c + row * ldc + column, ldc: ldc, accumulate: !first,
                            bias: first ? bias.map { $0 + column } : nil,
                            activation: last ? activation : .none)
                    }
                    row += rowTile
                }
                stripStart = stripEnd
            }
            k0 += blockDepth
        }
    }

    /// tile[6×16] = A[rows × depth] · Bstrip[depth × 16]. Rows beyond `rows` repeat the last
    /// real row (valid memory) and are discarded by the caller.
    @inline(__always)
    static func microKernel(
        a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, depth: Int,
        tile: UnsafeMutablePointer<Float>
    ) {
        let a0 = a
        let a1 = a + min(1, rows - 1) * lda
        let a2 = a + min(2, rows - 1) * lda
        let a3 = a + min(3, rows - 1) * lda
        let a4 = a + min(4, rows - 1) * lda
        let a5 = a + min(5, rows - 1) * lda
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var pb = UnsafeRawPointer(b)
        for k in 0..<depth {
            let b0 = pb.load(as: SIMD8<Float>.self)
            let b1 = pb.load(fromByteOffset: 32, as: SIMD8<Float>.self)
            pb += 64
            var x = SIMD8<Float>(repeating: a0[k])
            c00.addProduct(x, b0); c01.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a1[k])
            c10.addProduct(x, b0); c11.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a2[k])
            c20.addProduct(x, b0); c21.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a3[k])
            c30.addProduct(x, b0); c31.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a4[k])
            c40.addProduct(x, b0); c41.addProduct(x, b1)
            x = SIMD8<Float>(repeating: a5[k])
            c50.addProduct(x, b0); c51.addProduct(x, b1)
        }
        let out = UnsafeMutableRawPointer(tile)
        out.storeBytes(of: c00, toByteOffset: 0, as: SIMD8<Float>.self)
        out.storeBytes(of: c01, toByteOffset: 32, as: SIMD8<Float>.self)
        out.storeBytes(of: c10, toByteOffset: 64, as: SIMD8<Float>.self)
        out.storeBytes(of: c11, toByteOffset: 96, as: SIMD8<Float>.self)
        out.storeBytes(of: c20, toByteOffset: 128, as: SIMD8<Float>.self)
        out.storeBytes(of: c21, toByteOffset: 160, as: SIMD8<Float>.self)
        out.storeBytes(of: c30, toByteOffset: 192, as: SIMD8<Float>.self)
        out.storeBytes(of: c31, toByteOffset: 224, as: SIMD8<Float>.self)
        out.storeBytes(of: c40, toByteOffset: 256, as: SIMD8<Float>.self)
        out.storeBytes(of: c41, toByteOffset: 288, as: SIMD8<Float>.self)
        out.storeBytes(of: c50, toByteOffset: 320, as: SIMD8<Float>.self)
        out.storeBytes(of: c51, toByteOffset: 352, as: SIMD8<Float>.self)
    }

    /// Writes the valid part of a tile into C: adds what C holds (later depth blocks) or the
    /// bias (first block), then applies the activation (last block).
    @inline(__always)
    static func storeTile(
        _ tile: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
        bias: UnsafePointer<Float>?, activation: Activation
    ) {
        let source = UnsafeRawPointer(tile)
        if columns == 16 {
            var bias0 = SIMD8<Float>(), bias1 = SIMD8<Float>()
            if let bias {
                bias0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
                bias1 = UnsafeRawPointer(bias + 8).loadUnaligned(as: SIMD8<Float>.self)
            }
            for r in 0..<rows {
                let target = UnsafeMutableRawPointer(c + r * ldc)
                var v0 = source.load(fromByteOffset: r * 64, as: SIMD8<Float>.self)
                var v1 = source.load(fromByteOffset: r * 64 + 32, as: SIMD8<Float>.self)
                if accumulate {
                    v0 += target.loadUnaligned(as: SIMD8<Float>.self)
                    v1 += target.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                } else {
                    v0 += bias0
                    v1 += bias1
                }
                target.storeBytes(of: activation.apply(v0), as: SIMD8<Float>.self)
                target.storeBytes(of: activation.apply(v1), toByteOffset: 32, as: SIMD8<Float>.self)
            }
        } else {
            for r in 0..<rows {
                for j in 0..<columns {
                    var v = tile[r * 16 + j]
                    if accumulate { v += c[r * ldc + j] } else if let bias { v += bias[j] }
                    c[r * ldc + j] = activation.apply(v)
                }
            }
        }
    }
}
