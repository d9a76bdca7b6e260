import CLoomKernels

/// The right-hand operand of a matrix product (K×N), packed once for the micro-kernel: split
/// into depth blocks of `blockDepth` rows (the fewest blocks of at most `SGEMM.maxDepthBlock`, as
/// even as possible), each stored as strips of 16 columns, row after
/// row (16 contiguous floats per k). N is padded to a multiple of 16 with zeros.
/// Weights are packed at model load time, so a forward pass never repacks them.
public struct PackedMatrix: Sendable {
    public let depth: Int      // K
    public let columns: Int    // N
    public let paddedColumns: Int
    /// Rows of B per depth block (the last block may be shorter).
    public let blockDepth: Int
    public let storage: FloatBuffer

    /// Packs B given as `depth` rows of `columns` floats (row stride `ldb`).
    public init(depth: Int, columns: Int, rowMajor b: UnsafePointer<Float>, ldb: Int) {
        self.init(depth: depth, columns: columns, rowMajor: b, ldb: ldb,
                  storage: FloatBuffer(count: Self.storageCount(depth: depth, columns: columns), zeroed: false))
    }

    /// Packs into `storage` (at least `storageCount` floats, contents ignored): training packs
    /// activations of thousands of rows every step and reuses the memory.
    public init(depth: Int, columns: Int, rowMajor b: UnsafePointer<Float>, ldb: Int, storage: FloatBuffer) {
        self.init(depth: depth, columns: columns, packed: storage)
        packRowMajor(b, ldb: ldb, strips: 0..<(paddedColumns / 16))
    }

    /// The same on `threads` threads, each packing its own strips (a gradient of tens of
    /// thousands of rows, packed every training step). With `columnSums`, also writes there the
    /// sum of each column, row by row in order from zero (a bias gradient: the same bits as a
    /// separate pass, without reading the matrix from memory a second time).
    public init(depth: Int, columns: Int, rowMajor b: UnsafePointer<Float>, ldb: Int, storage: FloatBuffer, threads: Int,
                columnSums: UnsafeMutablePointer<Float>? = nil) {
        self.init(depth: depth, columns: columns, packed: storage)
        columnSums?.initialize(repeating: 0, count: columns)
        let sums = columnSums.map { Int(bitPattern: $0) }   // crosses into the workers; each writes its own strips' columns
        // A thread per 64k floats at most: smaller matrices pack faster than threads start.
        WorkSplit.forEach(paddedColumns / 16, threads: max(1, min(threads, depth * columns / 65_536))) { strips in
            packRowMajor(b, ldb: ldb, strips: strips, columnSums: sums.flatMap { UnsafeMutablePointer(bitPattern: $0) })
        }
    }

    /// Copies the strips `strips` of B (row-major, `ldb` apart) into this matrix's storage and,
    /// when given, adds each of their rows to `columnSums` (indexed by B's column).
    func packRowMajor(_ b: UnsafePointer<Float>, ldb: Int, strips: Range<Int>, columnSums: UnsafeMutablePointer<Float>? = nil) {
        // Strip rows are 16 contiguous floats of a source row: full strips are copied in C (two
        // vector moves per strip row; past the caches for a copy larger than them), a last,
        // partial one here with its padding lanes zeroed.
        let out = storage.pointer
        let fullStrips = strips.lowerBound..<max(strips.lowerBound, min(strips.upperBound, columns / 16))
        let stream: Int32 = depth * paddedColumns * 4 > Self.streamingBytes ? 1 : 0
        var k0 = 0
        while k0 < depth {
            let blockDepth = min(self.blockDepth, depth - k0)
            if !fullStrips.isEmpty {
                loom_pack_strips(b + k0 * ldb + fullStrips.lowerBound * 16, ldb, blockDepth,
                                 out + blockOffset(k0: k0) + fullStrips.lowerBound * blockDepth * 16, fullStrips.count,
                                 columnSums.map { $0 + fullStrips.lowerBound * 16 }, stream)
            }
            for strip in fullStrips.upperBound..<strips.upperBound {
                let base = out + blockOffset(k0: k0) + strip * blockDepth * 16
                let width = min(16, columns - strip * 16)
                let source = b + k0 * ldb + strip * 16
                for k in 0..<blockDepth {
                    (base + k * 16).update(from: source + k * ldb, count: width)
                    (base + k * 16 + width).update(repeating: 0, count: 16 - width)
                    if let columnSums {
                        for column in 0..<width { columnSums[strip * 16 + column] += source[k * ldb + column] }
                    }
                }
            }
            k0 += blockDepth
        }
    }

    /// Packed copies (and other large copies and outputs) larger than this, half the L3 of the
    /// machines Loom runs on, are written past the caches: what reads them next reads them from
    /// memory anyway, and a cached store first reads the line it overwrites (training's
    /// gate-gradient copies: 2 ms less each of 37 MB).
    public static let streamingBytes = 16 << 20

    /// Packs Bᵀ of a weight stored as `columns` rows of `depth` floats — PyTorch's Linear and
    /// 1×1 convolution layout ([out, in]), so that C = A · Wᵀ.
    public init(depth: Int, columns: Int, transposing w: UnsafePointer<Float>, ldw: Int) {
        self.init(depth: depth, columns: columns, transposing: w, ldw: ldw,
                  storage: FloatBuffer(count: Self.storageCount(depth: depth, columns: columns), zeroed: true))
    }

    /// Packs Bᵀ into `storage` (at least `storageCount` floats; zeroed here where padding).
    public init(depth: Int, columns: Int, transposing w: UnsafePointer<Float>, ldw: Int, storage: FloatBuffer) {
        self.init(depth: depth, columns: columns, packed: storage)
        if columns % 16 != 0 { storage.pointer.initialize(repeating: 0, count: Self.storageCount(depth: depth, columns: columns)) }
        // Column by column: each source row is read once, front to back (large B, such as a
        // search index of 100k vectors, packs at memory speed).
        let out = storage.pointer
        for n in 0..<columns {
            let source = w + n * ldw
            let (strip, lane) = (n / 16, n % 16)
            var k0 = 0
            while k0 < depth {
                let blockDepth = min(self.blockDepth, depth - k0)
                let base = out + blockOffset(k0: k0) + strip * blockDepth * 16 + lane
                for k in 0..<blockDepth { base[k * 16] = source[k0 + k] }
                k0 += blockDepth
            }
        }
    }

    /// Floats of packed storage a K×N matrix takes.
    public static func storageCount(depth: Int, columns: Int) -> Int { depth * ((columns + 15) / 16 * 16) }

    /// A matrix packed earlier (its `packedValues`, saved and mapped back from a file).
    public init(depth: Int, columns: Int, packed: FloatBuffer) {
        precondition(packed.count >= Self.storageCount(depth: depth, columns: columns), "packed storage too small")
        self.depth = depth
        self.columns = columns
        paddedColumns = (columns + 15) / 16 * 16
        let blocks = max(1, (depth + SGEMM.maxDepthBlock - 1) / SGEMM.maxDepthBlock)
        blockDepth = max(1, (depth + blocks - 1) / blocks)
        storage = packed
    }

    /// The same matrix without its first `blocks` depth blocks (rows `blocks · blockDepth` on),
    /// sharing this storage: a product whose A is zero over those rows, such as an LSTM's h_{t-1}
    /// at step 0, leaves out blocks that would only add zeros.
    public func droppingLeadingBlocks(_ blocks: Int) -> PackedMatrix {
        let rows = blocks * blockDepth
        precondition(rows < depth, "dropping \(blocks) blocks of \(blockDepth) would leave none of \(depth) rows")
        guard rows > 0 else { return self }
        return PackedMatrix(depth: depth - rows, columns: columns, blockDepth: blockDepth,
                            storage: FloatBuffer(borrowing: storage.pointer + blockOffset(k0: rows),
                                                 count: Self.storageCount(depth: depth - rows, columns: columns), owner: storage))
    }

    private init(depth: Int, columns: Int, blockDepth: Int, storage: FloatBuffer) {
        self.depth = depth
        self.columns = columns
        paddedColumns = (columns + 15) / 16 * 16
        self.blockDepth = blockDepth
        self.storage = storage
    }

    /// The packed storage, to save it.
    public var packedValues: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: storage.pointer, count: Self.storageCount(depth: depth, columns: columns))
    }

    /// Column `n` of B (row `n` of a transposed weight: a search index's vector `n`).
    public func column(_ n: Int) -> [Float] {
        precondition(n >= 0 && n < columns)
        var values = [Float](repeating: 0, count: depth)
        let (strip, lane) = (n / 16, n % 16)
        var k0 = 0
        while k0 < depth {
            let blockDepth = min(self.blockDepth, depth - k0)
            let base = storage.pointer + blockOffset(k0: k0) + strip * blockDepth * 16 + lane
            for k in 0..<blockDepth { values[k0 + k] = base[k * 16] }
            k0 += blockDepth
        }
        return values
    }

    @inline(__always)
    public func blockOffset(k0: Int) -> Int { k0 * paddedColumns }

    /// The strip of 16 columns starting at column `strip * 16` in the depth block at `k0`.
    @inline(__always)
    public func strip(k0: Int, blockDepth: Int, strip: Int) -> UnsafePointer<Float> {
        UnsafePointer(storage.pointer + blockOffset(k0: k0) + strip * blockDepth * 16)
    }
}
