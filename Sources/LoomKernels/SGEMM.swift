import CLoomKernels
import Dispatch
import LoomCore

/// Single-precision matrix product C = A · B (+ bias, activation), with B packed ahead of time.
///
/// Blocking: B is walked in depth blocks of at most 256 (as even as possible: K = 320 is two of
/// 160, not 256 + 64, so no short block pays a pass for a few k) and column blocks of half the L2
/// (`columnBlock`: 512 columns on a 1 MB L2);
/// for each 6-row tile of A (6 KB per depth block, held in L1) the 6×16 register-tiled
/// micro-kernel runs over the block's strips of 16 columns. Twelve SIMD8 accumulators, two B
/// vectors and one broadcast fill 15 of the 16 AVX registers. A deep, narrow B over many rows
/// (all of its depth fits the L2, C does not) turns the order round: each row tile takes every
/// depth block in turn, so C is not written back and read again between blocks.
///
/// Every element of C is summed in the same order — bias (or zero), then each depth block in
/// turn, k ascending inside — whatever the thread count (threads only split rows or column
/// strips), and whether its column lies in a full strip or in the last, partial one.
///
/// With `isa` `.avx512` (the default where the CPU has it, see `CPUFeatures.isa`) full strips go
/// four at a time through `loom_sgemm_tile_avx512` (6×64 tiles, 24 zmm accumulators): the same
/// fused multiply-adds in the same order, so the same bits. The one-row path and partial strips
/// stay on the AVX2 kernels.
public enum SGEMM {
    /// The deepest depth block: a 6-row slice of A and a 16-column strip of B (22 KB) stay in L1.
    public static let maxDepthBlock = 256
    /// Whether rows of A `lda` floats apart alias in L1: a multiple of 4 KB puts them in the same
    /// sets, where they evict one another and B's strip.
    static func aliases(lda: Int) -> Bool { lda % 1024 == 0 }

    /// A row stride for a matrix that will be read as A: `floats`, or 16 more where that would
    /// alias (such an A is then read in place instead of copied tile by tile).
    public static func unaliasedStride(_ floats: Int) -> Int { aliases(lda: floats) ? floats + 16 : floats }

    /// Columns of B per block: a depth block of them fills half the L2 (512 columns, 512 KB, on a
    /// 1 MB L2), so each row tile of A is read once per block while B stays in cache. Blocks do not
    /// change any sum's order: the same bits whatever the cache.
    static let columnBlock = min(1024, max(256, CPUFeatures.l2CacheBytes / 2 / (maxDepthBlock * 4) / 16 * 16))
    static let rowTile = 6
    /// The shallowest depth block whose tiles ask ahead for the next row tile's A (unless A is
    /// copied tile by tile) and C (unless C is streamed).
    static let prefetchDepth = 64

    /// C[m×N] = A[m×K] · B[K×N] (+ bias[N]) then `activation`. A is row-major with stride `lda`,
    /// C with stride `ldc`. `threads` > 1 splits the work into that many fixed chunks: by rows,
    /// or by strips of 16 columns when there are too few row tiles to share evenly. Either way
    /// each element is the same sum.
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        bias: UnsafePointer<Float>? = nil, activation: Activation = .none, threads: Int = 1, isa: VectorISA = CPUFeatures.isa
    ) {
        guard m > 0, b.columns > 0 else { return }
        let tiles = (m + rowTile - 1) / rowTile
        let strips = b.paddedColumns / 16
        let byColumns = tiles < 8 * threads && strips >= 2 * threads
        let chunks = max(1, min(threads, byColumns ? strips : tiles))
        let streams = streamsOutput(m: m, b: b, c: c, ldc: ldc, isa: isa)
        if chunks == 1 {
            multiplyRows(0, m, strips: 0..<strips, a: a, lda: lda, b: b, c: c, ldc: ldc, bias: bias, activation: activation, isa: isa,
                         streams: streams)
            return
        }
        // Raw addresses cross into the worker closures; each worker writes only its own part of C.
        let (aAddress, cAddress, biasAddress) = (Int(bitPattern: a), Int(bitPattern: c), Int(bitPattern: bias))
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let parts = byColumns ? strips : tiles
            let part = (parts * chunk / chunks)..<(parts * (chunk + 1) / chunks)
            multiplyRows(
                byColumns ? 0 : part.lowerBound * rowTile, byColumns ? m : min(m, part.upperBound * rowTile),
                strips: byColumns ? part : 0..<strips,
                a: UnsafePointer(bitPattern: aAddress)!, lda: lda, b: b,
                c: UnsafeMutablePointer(bitPattern: cAddress)!, ldc: ldc,
                bias: UnsafePointer(bitPattern: biasAddress), activation: activation, isa: isa, streams: streams)
        }
    }

    /// Whether C is written with streaming stores: a product whose C (over 16 MB: training's gate
    /// pre-activations, 30-37 MB a step) is written once, in one depth pass, and read back from
    /// memory anyway — a cached store would first read each line it overwrites. Only by the
    /// AVX-512 tile, on 64-byte aligned rows. The same values: the same bits.
    static func streamsOutput(m: Int, b: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int, isa: VectorISA) -> Bool {
        isa == .avx512 && b.depth <= b.blockDepth && m * ldc * 4 > PackedMatrix.streamingBytes && ldc % 16 == 0 && Int(bitPattern: c) % 64 == 0
    }

    /// Columns `columns` of C = A · B (+ bias, activation) on one thread: `columns` starts at a
    /// multiple of 16 and ends at one or at N; `c` points at column `columns.lowerBound` of row 0.
    /// (A search scores a block of the database at a time.)
    public static func multiply(
        m: Int, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix, columns: Range<Int>,
        c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil, activation: Activation = .none,
        isa: VectorISA = CPUFeatures.isa
    ) {
        precondition(columns.lowerBound % 16 == 0 && (columns.upperBound % 16 == 0 || columns.upperBound == b.columns)
                     && columns.upperBound <= b.columns, "column range \(columns) is not strip-aligned")
        guard m > 0, !columns.isEmpty else { return }
        let strips = (columns.lowerBound / 16)..<((columns.upperBound + 15) / 16)
        if m == 1 {
            multiplyVector(a, b: b, strips: strips, c: c, bias: bias, activation: activation)
            return
        }
        // multiplyRows addresses C by absolute column; shift the base so that it lands on `c`.
        let base = UnsafeMutablePointer<Float>(bitPattern: Int(bitPattern: c) - columns.lowerBound * MemoryLayout<Float>.stride)!
        multiplyRows(0, m, strips: strips, a: a, lda: lda, b: b, c: base, ldc: ldc, bias: bias,
                     activation: activation, isa: isa)
    }

    /// One row of A times the strips `strips` of B, into C from the first strip's column on:
    /// four strips (eight accumulators) at a time, so one query against a large B streams B once
    /// without the six-row tile's redundant work. Each element gets the same sequence of fused
    /// multiply-adds as in `microKernel` (bias, then k ascending), so the same bits.
    static func multiplyVector(_ a: UnsafePointer<Float>, b: PackedMatrix, strips: Range<Int>, c: UnsafeMutablePointer<Float>,
                               bias: UnsafePointer<Float>?, activation: Activation) {
        var strip = strips.lowerBound
        while strip < strips.upperBound {
            let group = min(4, strips.upperBound - strip)
            func start(_ index: Int) -> SIMD8<Float> {
                let column = (strip + index / 2) * 16 + (index % 2) * 8
                guard let bias, index / 2 < group, column < b.columns else { return SIMD8() }
                return Lanes.load(bias + column, floatOffset: 0, count: min(8, b.columns - column))
            }
            var (c0, c1, c2, c3) = (start(0), start(1), start(2), start(3))
            var (c4, c5, c6, c7) = (start(4), start(5), start(6), start(7))
            var k0 = 0
            while k0 < b.depth {
                let blockDepth = min(b.blockDepth, b.depth - k0)
                let p0 = UnsafeRawPointer(b.strip(k0: k0, blockDepth: blockDepth, strip: strip))
                let stripBytes = blockDepth * 64
                // Strips past the group's end read strip 0's data again; their sums are dropped.
                let p1 = p0 + (group > 1 ? stripBytes : 0), p2 = p0 + (group > 2 ? 2 * stripBytes : 0)
                let p3 = p0 + (group > 3 ? 3 * stripBytes : 0)
                for k in 0..<blockDepth {
                    let x = SIMD8<Float>(repeating: a[k0 + k])
                    let offset = k * 64
                    c0.addProduct(x, p0.load(fromByteOffset: offset, as: SIMD8<Float>.self))
                    c1.addProduct(x, p0.load(fromByteOffset: offset + 32, as: SIMD8<Float>.self))
                    c2.addProduct(x, p1.load(fromByteOffset: offset, as: SIMD8<Float>.self))
                    c3.addProduct(x, p1.load(fromByteOffset: offset + 32, as: SIMD8<Float>.self))
                    c4.addProduct(x, p2.load(fromByteOffset: offset, as: SIMD8<Float>.self))
                    c5.addProduct(x, p2.load(fromByteOffset: offset + 32, as: SIMD8<Float>.self))
                    c6.addProduct(x, p3.load(fromByteOffset: offset, as: SIMD8<Float>.self))
                    c7.addProduct(x, p3.load(fromByteOffset: offset + 32, as: SIMD8<Float>.self))
                }
                k0 += blockDepth
            }
            let sums = (c0, c1, c2, c3, c4, c5, c6, c7)
            func finished(_ index: Int) -> SIMD8<Float> {
                switch index {
                case 0: sums.0
                case 1: sums.1
                case 2: sums.2
                case 3: sums.3
                case 4: sums.4
                case 5: sums.5
                case 6: sums.6
                default: sums.7
                }
            }
            for index in 0..<(2 * group) {
                let column = (strip + index / 2) * 16 + (index % 2) * 8
                let lanes = min(8, b.columns - column)
                guard lanes > 0 else { continue }
                Lanes.store(activation.apply(finished(index)), UnsafeMutableRawPointer(c),
                            floatOffset: column - strips.lowerBound * 16, count: lanes)
            }
            strip += group
        }
    }

    /// Where the micro-kernel's accumulators start: zero, the bias (first depth block), or what
    /// the output already holds (later depth blocks).
    enum Start { case zero, bias(UnsafePointer<Float>), output }

    /// Whether `rows` rows of C = A · B take the deep order. A deep, narrow product over many rows
    /// (a gate gradient times a weight: K = 1024, N = 128 or 256, thousands of rows) would write
    /// its whole C back to memory after every depth block and read it again for the next; there
    /// each row tile takes every depth block in turn while its slice of C stays in L1, over
    /// column blocks narrow enough that their whole depth of B stays in half the L2. Only where
    /// all of B fits the L2, so that A is read from memory a few times at most: for a wider B
    /// (1024³, 2048³) reading A once per narrow column block costs more than C's round trips.
    static func usesDeepOrder(rows: Int, b: PackedMatrix) -> Bool {
        b.depth > b.blockDepth && b.depth * b.paddedColumns * 4 <= CPUFeatures.l2CacheBytes
            && rows * b.paddedColumns * 4 > CPUFeatures.l2CacheBytes
    }

    /// Rows `rowStart..<rowEnd` of C, in the column strips `stripRange`; with `streams` (see
    /// `streamsOutput`) the full strips are stored past the caches and fenced before returning.
    static func multiplyRows(
        _ rowStart: Int, _ rowEnd: Int, strips stripRange: Range<Int>, a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
        c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>?, activation: Activation, isa: VectorISA,
        streams: Bool = false
    ) {
        defer { if streams { loom_store_fence() } }
        // Columns past the last full strip go through a 6×16 tile, so the kernel never touches
        // C beyond its last column.
        let tile = UnsafeMutablePointer<Float>.allocate(capacity: rowTile * 16)
        defer { tile.deallocate() }
        // Where A's rows lie a multiple of 4 KB apart (1024, 2048 … floats), each row tile's slice
        // of A for the depth block is copied side by side once per column block: such rows share
        // L1 sets and evict one another and B's strip (4K aliasing), contiguous rows do not. The
        // same values in the same order: C is bitwise unchanged.
        let copiesA = aliases(lda: lda)
        let aSlice = UnsafeMutablePointer<Float>.allocate(capacity: copiesA ? rowTile * b.blockDepth : 1)
        defer { aSlice.deallocate() }
        let strips = stripRange.upperBound
        // One row tile's strips `stripStart..<stripEnd` for the depth block at `k0`.
        func tileBlock(row: Int, k0: Int, stripStart: Int, stripEnd: Int) {
            let blockDepth = min(b.blockDepth, b.depth - k0)
            let first = k0 == 0
            let blockActivation = k0 + blockDepth == b.depth ? activation : .none
            let rows = min(rowTile, rowEnd - row)
            let (tileA, tileLDA) = copiesA ? (UnsafePointer(aSlice), blockDepth) : (a + row * lda + k0, lda)
            if copiesA {
                for r in 0..<rows { (aSlice + r * blockDepth).update(from: a + (row + r) * lda + k0, count: blockDepth) }
            }
            // What the next row tile reads, asked for ahead by the AVX-512 tile (a copied A is not
            // read in place). In the deep order that tile comes only after this one's other depth
            // blocks: what was asked for then waits in L2. Not for shallow blocks, whose prefetches
            // cost more than they save: with every block asking, MobileNetV2 (1×1 layers 16 to 960
            // deep) ran 7% slower; from 64 k on, as fast as without.
            let asksAhead = blockDepth >= prefetchDepth
            let nextA = copiesA || !asksAhead ? nil : a + (row + rowTile) * lda + k0
            var strip = stripStart
            while strip < stripEnd {
                let column = strip * 16
                let columns = min(16, b.columns - column)
                let start: Start = !first ? .output : bias.map { .bias($0 + column) } ?? .zero
                let packed = b.strip(k0: k0, blockDepth: blockDepth, strip: strip)
                let target = c + row * ldc + column
                let fullStrips = min(4, stripEnd - strip, b.columns / 16 - strip)
                if isa == .avx512, fullStrips > 0 {
                    let bounds = blockActivation.bounds
                    let (mode, biasStart): (Int32, UnsafePointer<Float>?) = switch start {
                    case .zero: (Int32(LOOM_START_ZERO), nil)
                    case .bias(let values): (Int32(LOOM_START_BIAS), values)
                    case .output: (Int32(LOOM_START_OUTPUT), nil)
                    }
                    loom_sgemm_tile_avx512(tileA, tileLDA, rows, packed, blockDepth * 16, fullStrips, blockDepth, mode, biasStart,
                                           target, ldc, bounds.lower[0], bounds.upper[0], streams ? 1 : 0,
                                           nextA, streams || !asksAhead ? nil : target + rowTile * ldc)
                    strip += fullStrips
                    continue
                }
                defer { strip += 1 }
                if columns == 16 {
                    microKernel(a: tileA, lda: tileLDA, rows: rows, b: packed, depth: blockDepth,
                                start: start, out: target, ldo: ldc, activation: blockActivation)
                } else if columns == 8 {
                    // A last strip of exactly eight columns (N = 24, 40, …): half the work.
                    halfKernel(a: tileA, lda: tileLDA, rows: rows, b: packed, depth: blockDepth,
                               start: start, out: target, ldo: ldc, activation: blockActivation)
                } else {
                    for r in 0..<rows {
                        for j in 0..<16 {
                            switch start {
                            case .zero: tile[r * 16 + j] = 0
                            case .bias(let values): tile[r * 16 + j] = j < columns ? values[j] : 0
                            case .output: tile[r * 16 + j] = j < columns ? target[r * ldc + j] : 0
                            }
                        }
                    }
                    microKernel(a: tileA, lda: tileLDA, rows: rows, b: packed, depth: blockDepth,
                                start: .output, out: tile, ldo: 16, activation: blockActivation)
                    for r in 0..<rows { (target + r * ldc).update(from: tile + r * 16, count: columns) }
                }
            }
        }
        // Deep, narrow products over many rows: see `usesDeepOrder`. Each element's sum keeps its
        // order (start, then the blocks in turn): the same bits either way.
        let deep = usesDeepOrder(rows: rowEnd - rowStart, b: b)
        let stripsPerBlock = deep ? max(4, CPUFeatures.l2CacheBytes / 2 / (b.depth * 4) / 64 * 4) : columnBlock / 16
        let (stripBlocks, rowTiles) = (stride(from: stripRange.lowerBound, to: strips, by: stripsPerBlock), stride(from: rowStart, to: rowEnd, by: rowTile))
        let depthBlocks = stride(from: 0, to: b.depth, by: b.blockDepth)
        if deep {
            for stripStart in stripBlocks { for row in rowTiles { for k0 in depthBlocks {
                tileBlock(row: row, k0: k0, stripStart: stripStart, stripEnd: min(strips, stripStart + stripsPerBlock))
            } } }
        } else {
            for k0 in depthBlocks { for stripStart in stripBlocks { for row in rowTiles {
                tileBlock(row: row, k0: k0, stripStart: stripStart, stripEnd: min(strips, stripStart + stripsPerBlock))
            } } }
        }
    }

    /// The six A rows and six output rows of a tile; with fewer than six rows the missing ones
    /// repeat the last (see `microKernel`).
    @inline(__always)
    static func tileRows(a: UnsafePointer<Float>, lda: Int, out: UnsafeMutablePointer<Float>, ldo: Int, rows: Int) -> (
        (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>),
        (UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeMutableRawPointer,
         UnsafeMutableRawPointer, UnsafeMutableRawPointer)
    ) {
        func row(_ r: Int) -> Int { min(r, rows - 1) }
        return ((a, a + row(1) * lda, a + row(2) * lda, a + row(3) * lda, a + row(4) * lda, a + row(5) * lda),
                (UnsafeMutableRawPointer(out), UnsafeMutableRawPointer(out + row(1) * ldo), UnsafeMutableRawPointer(out + row(2) * ldo),
                 UnsafeMutableRawPointer(out + row(3) * ldo), UnsafeMutableRawPointer(out + row(4) * ldo),
                 UnsafeMutableRawPointer(out + row(5) * ldo)))
    }

    /// A 6×16 block of the output: accumulators start from `start`, take `depth` rank-1 updates
    /// from A's rows and B's packed strip, get the activation and are stored to `out` (rows `ldo`
    /// apart). With fewer than six rows the missing ones repeat the last row, whose pointers they
    /// reuse: they compute and store the same values, so nothing past the last row is touched.
    @inline(__always)
    static func microKernel(
        a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, depth: Int,
        start: Start, out: UnsafeMutablePointer<Float>, ldo: Int, activation: Activation
    ) {
        let ((a0, a1, a2, a3, a4, a5), (o0, o1, o2, o3, o4, o5)) = tileRows(a: a, lda: lda, out: out, ldo: ldo, rows: rows)
        var c00: SIMD8<Float>, c01: SIMD8<Float>, c10: SIMD8<Float>, c11: SIMD8<Float>
        var c20: SIMD8<Float>, c21: SIMD8<Float>, c30: SIMD8<Float>, c31: SIMD8<Float>
        var c40: SIMD8<Float>, c41: SIMD8<Float>, c50: SIMD8<Float>, c51: SIMD8<Float>
        switch start {
        case .zero:
            (c00, c01) = (SIMD8(), SIMD8())
            (c10, c11, c20, c21, c30, c31, c40, c41, c50, c51) = (c00, c01, c00, c01, c00, c01, c00, c01, c00, c01)
        case .bias(let bias):
            c00 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
            c01 = UnsafeRawPointer(bias + 8).loadUnaligned(as: SIMD8<Float>.self)
            (c10, c11, c20, c21, c30, c31, c40, c41, c50, c51) = (c00, c01, c00, c01, c00, c01, c00, c01, c00, c01)
        case .output:
            c00 = o0.loadUnaligned(as: SIMD8<Float>.self); c01 = o0.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            c10 = o1.loadUnaligned(as: SIMD8<Float>.self); c11 = o1.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            c20 = o2.loadUnaligned(as: SIMD8<Float>.self); c21 = o2.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            c30 = o3.loadUnaligned(as: SIMD8<Float>.self); c31 = o3.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            c40 = o4.loadUnaligned(as: SIMD8<Float>.self); c41 = o4.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            c50 = o5.loadUnaligned(as: SIMD8<Float>.self); c51 = o5.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        }
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
        o0.storeBytes(of: activation.apply(c00), as: SIMD8<Float>.self)
        o0.storeBytes(of: activation.apply(c01), toByteOffset: 32, as: SIMD8<Float>.self)
        o1.storeBytes(of: activation.apply(c10), as: SIMD8<Float>.self)
        o1.storeBytes(of: activation.apply(c11), toByteOffset: 32, as: SIMD8<Float>.self)
        o2.storeBytes(of: activation.apply(c20), as: SIMD8<Float>.self)
        o2.storeBytes(of: activation.apply(c21), toByteOffset: 32, as: SIMD8<Float>.self)
        o3.storeBytes(of: activation.apply(c30), as: SIMD8<Float>.self)
        o3.storeBytes(of: activation.apply(c31), toByteOffset: 32, as: SIMD8<Float>.self)
        o4.storeBytes(of: activation.apply(c40), as: SIMD8<Float>.self)
        o4.storeBytes(of: activation.apply(c41), toByteOffset: 32, as: SIMD8<Float>.self)
        o5.storeBytes(of: activation.apply(c50), as: SIMD8<Float>.self)
        o5.storeBytes(of: activation.apply(c51), toByteOffset: 32, as: SIMD8<Float>.self)
    }

    /// The micro-kernel for a 6×8 block: the left half of a packed strip (six accumulators).
    @inline(__always)
    static func halfKernel(
        a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>, depth: Int,
        start: Start, out: UnsafeMutablePointer<Float>, ldo: Int, activation: Activation
    ) {
        let ((a0, a1, a2, a3, a4, a5), (o0, o1, o2, o3, o4, o5)) = tileRows(a: a, lda: lda, out: out, ldo: ldo, rows: rows)
        var c0: SIMD8<Float>, c1: SIMD8<Float>, c2: SIMD8<Float>, c3: SIMD8<Float>, c4: SIMD8<Float>, c5: SIMD8<Float>
        switch start {
        case .zero:
            c0 = SIMD8()
            (c1, c2, c3, c4, c5) = (c0, c0, c0, c0, c0)
        case .bias(let bias):
            c0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD8<Float>.self)
            (c1, c2, c3, c4, c5) = (c0, c0, c0, c0, c0)
        case .output:
            c0 = o0.loadUnaligned(as: SIMD8<Float>.self); c1 = o1.loadUnaligned(as: SIMD8<Float>.self)
            c2 = o2.loadUnaligned(as: SIMD8<Float>.self); c3 = o3.loadUnaligned(as: SIMD8<Float>.self)
            c4 = o4.loadUnaligned(as: SIMD8<Float>.self); c5 = o5.loadUnaligned(as: SIMD8<Float>.self)
        }
        var pb = UnsafeRawPointer(b)
        for k in 0..<depth {
            let b0 = pb.load(as: SIMD8<Float>.self)
            pb += 64
            c0.addProduct(SIMD8<Float>(repeating: a0[k]), b0)
            c1.addProduct(SIMD8<Float>(repeating: a1[k]), b0)
            c2.addProduct(SIMD8<Float>(repeating: a2[k]), b0)
            c3.addProduct(SIMD8<Float>(repeating: a3[k]), b0)
            c4.addProduct(SIMD8<Float>(repeating: a4[k]), b0)
            c5.addProduct(SIMD8<Float>(repeating: a5[k]), b0)
        }
        o0.storeBytes(of: activation.apply(c0), as: SIMD8<Float>.self)
        o1.storeBytes(of: activation.apply(c1), as: SIMD8<Float>.self)
        o2.storeBytes(of: activation.apply(c2), as: SIMD8<Float>.self)
        o3.storeBytes(of: activation.apply(c3), as: SIMD8<Float>.self)
        o4.storeBytes(of: activation.apply(c4), as: SIMD8<Float>.self)
        o5.storeBytes(of: activation.apply(c5), as: SIMD8<Float>.self)
    }
}
