import CLoomKernels
import Foundation
import LoomCore
@testable import LoomInference
@testable import LoomKernels
import Testing

/// Each kernel against a plain triple-loop reference in Double, on shapes that are not multiples
/// of the kernels' tiles (1, 3, 17, 255 …) and that cross the depth and column blocks.
@Suite struct KernelTests {
    static let sizes = [1, 3, 17, 255]
    /// The instruction sets this CPU runs: every kernel with an AVX-512 variant must give the
    /// AVX2 kernel's bits (the fallback alone is tested on a CPU without AVX-512).
    static let isas: [VectorISA] = CPUFeatures.hasAVX512 ? [.avx2, .avx512] : [.avx2]

    /// Largest |a − b| relative to the reference's magnitude.
    static func relativeError(_ actual: [Float], _ expected: [Double]) -> Double {
        let scale = max(1, expected.map(abs).max() ?? 0)
        return zip(actual, expected).map { abs(Double($0) - $1) }.max().map { $0 / scale } ?? 0
    }

    static func activate(_ value: Double, _ activation: Activation) -> Double {
        switch activation {
        case .none: return value
        case .relu: return max(value, 0)
        case .relu6: return min(max(value, 0), 6)
        }
    }

    @Test(arguments: [1, 3, 17, 255], [1, 3, 17, 24, 255, 300])
    func sgemmMatchesTheNaiveProduct(rows m: Int, columns n: Int) throws {
        for k in [1, 3, 17, 257, 513] {   // 257: two depth blocks (129 + 128), 513: three
            var random = SeededRandom(seed: UInt64(m * 1_000_000 + n * 1000 + k))
            let lda = k + 2, ldc = n + 3          // strided rows on both sides
            let a = random.floats(m * lda), b = random.floats(k * n), bias = random.floats(n)
            let activation: Activation = [.none, .relu, .relu6][(m + n + k) % 3]
            var expected = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for j in 0..<n {
                    var sum = Double(bias[j])
                    for p in 0..<k { sum += Double(a[i * lda + p]) * Double(b[p * n + j]) }
                    expected[i * n + j] = Self.activate(sum * 4, activation)   // × 4: reach the ReLU6 clip
                }
            }
            let packed = b.map { $0 * 4 }.withUnsafeBufferPointer {
                PackedMatrix(depth: k, columns: n, rowMajor: $0.baseAddress!, ldb: n)
            }
            let scaledBias = bias.map { $0 * 4 }
            var outputs: [[Float]] = []
            for isa in Self.isas { for threads in [1, 2] {
                let c = FloatBuffer([Float](repeating: -7, count: m * ldc))   // sentinel in the row padding
                a.withUnsafeBufferPointer { a in
                    scaledBias.withUnsafeBufferPointer { bias in
                        SGEMM.multiply(m: m, a: a.baseAddress!, lda: lda, b: packed, c: c.pointer, ldc: ldc,
                                       bias: bias.baseAddress!, activation: activation, threads: threads, isa: isa)
                    }
                }
                let values = c.array
                #expect((0..<m).allSatisfy { i in (n..<ldc).allSatisfy { values[i * ldc + $0] == -7 } },
                        "\(m)×\(k)·\(k)×\(n): wrote past the row's last column")
                outputs.append((0..<m).flatMap { i in values[(i * ldc)..<(i * ldc + n)] })
            } }
            let error = Self.relativeError(outputs[0], expected)
            #expect(error < 1e-5, "\(m)×\(k)·\(k)×\(n) \(activation): relative error \(error)")
            #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(m)×\(k)·\(k)×\(n): threads or instruction sets \(Self.isas) differ")
        }
    }

    /// Rows of A 4 KB apart are copied side by side before the kernel reads them (4K aliasing);
    /// the same A at another stride is read in place: both must give the same bits.
    @Test(arguments: [1, 7, 13], [16, 40])
    func aWhoseRowsAreFourKilobytesApartGivesTheSameBitsAsAnyOtherStride(rows m: Int, columns n: Int) {
        var random = SeededRandom(seed: UInt64(m * 100 + n))
        let k = 600   // three depth blocks, the last one short
        let values = random.floats(m * k)
        let b = random.floats(k * n).withUnsafeBufferPointer { PackedMatrix(depth: k, columns: n, rowMajor: $0.baseAddress!, ldb: n) }
        var outputs: [[Float]] = []
        for lda in [1024, 1031] {
            var a = [Float](repeating: .nan, count: m * lda)
            for i in 0..<m { for p in 0..<k { a[i * lda + p] = values[i * k + p] } }
            for isa in Self.isas { for threads in [1, 2] {
                let c = FloatBuffer(count: m * n)
                SGEMM.multiply(m: m, a: a, lda: lda, b: b, c: c.pointer, ldc: n, activation: .none, threads: threads, isa: isa)
                outputs.append(c.array)
            } }
        }
        let first = outputs[0]
        let same = outputs.allSatisfy { $0 == first }, finite = first.allSatisfy { $0.isFinite }
        #expect(same, "\(m)×\(k)·\(k)×\(n): the copied and the strided A differ")
        #expect(finite)
    }

    /// A deep, narrow product over more rows than the L2 holds of C (the LSTM's input gradients)
    /// takes every depth block per row tile; the same rows a few at a time take the blocks one
    /// after another over all rows: both must give the same bits.
    /// (N = 40 ends in a half strip, 37 in a partial one; lda 1024 makes the kernel copy A's rows.)
    @Test(arguments: [(40, 523), (37, 1024)])
    func aDeepNarrowProductOverManyRowsGivesTheBitsOfSmallCalls(columns n: Int, lda: Int) {
        let k = 520, ldc = n + 3   // three depth blocks, the last short
        // Enough rows that each of two threads' halves holds more C than the L2.
        let m = 2 * CPUFeatures.l2CacheBytes / (48 * 4) + 31
        var random = SeededRandom(seed: 9)
        let a = random.floats(m * lda), bias = random.floats(n), weights = random.floats(k * n)
        let b = weights.withUnsafeBufferPointer { PackedMatrix(depth: k, columns: n, rowMajor: $0.baseAddress!, ldb: n) }
        let firstHalf = (m + 5) / 6 / 2 * 6   // two threads split whole 6-row tiles
        #expect([m, firstHalf, m - firstHalf].allSatisfy { SGEMM.usesDeepOrder(rows: $0, b: b) } && !SGEMM.usesDeepOrder(rows: 12, b: b),
                "the whole product and each thread's half take the deep order, the 12-row calls do not")
        for isa in Self.isas {
            let rowByRow = FloatBuffer(count: m * ldc)
            for row in stride(from: 0, to: m, by: 12) {
                SGEMM.multiply(m: min(12, m - row), a: a.withUnsafeBufferPointer { $0.baseAddress! + row * lda }, lda: lda, b: b,
                               c: rowByRow.pointer + row * ldc, ldc: ldc, bias: bias, activation: .relu6, isa: isa)
            }
            for threads in [1, 2] {
                let whole = FloatBuffer(count: m * ldc)
                SGEMM.multiply(m: m, a: a, lda: lda, b: b, c: whole.pointer, ldc: ldc, bias: bias, activation: .relu6, threads: threads, isa: isa)
                let same = (0..<m).allSatisfy { i in (0..<n).allSatisfy { whole.pointer[i * ldc + $0] == rowByRow.pointer[i * ldc + $0] } }
                #expect(same, "\(isa) \(threads) threads: the whole product differs from the same rows 12 at a time")
            }
            for i in [0, m / 2, m - 1] {
                let expected = (0..<n).map { j in
                    Self.activate((0..<k).reduce(Double(bias[j])) { $0 + Double(a[i * lda + $1]) * Double(weights[$1 * n + j]) }, .relu6)
                }
                let error = Self.relativeError(Array(UnsafeBufferPointer(start: rowByRow.pointer + i * ldc, count: n)), expected)
                #expect(error < 1e-5, "row \(i): relative error \(error)")
            }
        }
    }

    /// The LSTM's recurrent weight gradient leaves out the depth blocks where A (h_{t-1} at step 0)
    /// is zero: the view without them must give the whole product's bits (its sums start at zero
    /// and those blocks add only signed zeros) and hold the same columns from there on.
    @Test func leavingOutLeadingDepthBlocksWhereAIsZeroGivesTheSameBits() {
        let m = 13, k = 700, n = 40, lda = 703   // three depth blocks of 234, 234, 232
        var random = SeededRandom(seed: 12)
        let b = random.floats(k * n).withUnsafeBufferPointer { PackedMatrix(depth: k, columns: n, rowMajor: $0.baseAddress!, ldb: n) }
        let skipped = 2 * b.blockDepth
        var a = random.floats(m * lda)
        for i in 0..<m { for p in 0..<skipped { a[i * lda + p] = 0 } }
        let rest = b.droppingLeadingBlocks(2)
        #expect(rest.depth == k - skipped && rest.blockDepth == b.blockDepth)
        #expect([0, 17, 39].allSatisfy { rest.column($0) == Array(b.column($0)[skipped...]) })
        #expect(b.droppingLeadingBlocks(0).column(3) == b.column(3))
        for isa in Self.isas { for threads in [1, 2] {
            let whole = FloatBuffer(count: m * n), part = FloatBuffer(count: m * n)
            SGEMM.multiply(m: m, a: a, lda: lda, b: b, c: whole.pointer, ldc: n, threads: threads, isa: isa)
            a.withUnsafeBufferPointer {
                SGEMM.multiply(m: m, a: $0.baseAddress! + skipped, lda: lda, b: rest, c: part.pointer, ldc: n, threads: threads, isa: isa)
            }
            #expect(whole.array == part.array, "\(isa) \(threads) threads: leaving out the zero blocks changed the product")
        } }
    }

    @Test(arguments: [1, 17, 40, 300])
    func oneRowAndAColumnRangeGiveTheSameBitsAsTheTiledKernel(columns n: Int) {
        var random = SeededRandom(seed: UInt64(n))
        let k = 300   // two depth blocks
        let a = random.floats(2 * k), bias = random.floats(n)
        let b = random.floats(k * n).withUnsafeBufferPointer { PackedMatrix(depth: k, columns: n, rowMajor: $0.baseAddress!, ldb: n) }
        let tiled = FloatBuffer(count: 2 * n)
        SGEMM.multiply(m: 2, a: a, lda: k, b: b, c: tiled.pointer, ldc: n, bias: bias, activation: .relu)
        let single = FloatBuffer(count: n)
        SGEMM.multiply(m: 1, a: a, lda: k, b: b, columns: 0..<n, c: single.pointer, ldc: n, bias: bias, activation: .relu)
        #expect(single.array == Array(tiled.array.prefix(n)), "N = \(n): one row differs from the tiled kernel's first row")
        if n > 16 {   // a strip-aligned part of the columns lands at the start of C
            let part = FloatBuffer(count: 2 * (n - 16))
            SGEMM.multiply(m: 2, a: a, lda: k, b: b, columns: 16..<n, c: part.pointer, ldc: n - 16, bias: bias, activation: .relu)
            #expect(part.array == Array(tiled.array[16..<n]) + Array(tiled.array[(n + 16)..<(2 * n)]))
        }
    }

    /// Packing with column sums: the packed matrix as without them, and each sum the column's
    /// rows added in order from zero (a separate pass's bits), across depth blocks, partial
    /// strips, padded rows and threads.
    @Test(arguments: [1, 300, 600], [5, 16, 40, 1024])
    func packingWithColumnSumsAddsEachColumnRowByRow(depth k: Int, columns n: Int) {
        var random = SeededRandom(seed: UInt64(k * n))
        let ld = n + 3
        let m = random.floats(k * ld).map { $0 * 1000 }   // magnitudes apart: another order would round differently
        var expected = [Float](repeating: 0, count: n)
        for row in 0..<k { for column in 0..<n { expected[column] += m[row * ld + column] } }
        m.withUnsafeBufferPointer { source in
            let plain = PackedMatrix(depth: k, columns: n, rowMajor: source.baseAddress!, ldb: ld)
            for threads in [1, 2] {
                let sums = FloatBuffer(count: n + 1)
                sums.pointer[n] = -7
                let packed = PackedMatrix(depth: k, columns: n, rowMajor: source.baseAddress!, ldb: ld,
                                          storage: FloatBuffer(count: PackedMatrix.storageCount(depth: k, columns: n)), threads: threads,
                                          columnSums: sums.pointer)
                let count = PackedMatrix.storageCount(depth: k, columns: n)
                #expect(Array(UnsafeBufferPointer(start: packed.storage.pointer, count: count))
                        == Array(UnsafeBufferPointer(start: plain.storage.pointer, count: count)), "\(k)×\(n), \(threads) threads: packing")
                #expect(Array(sums.array.prefix(n)).map(\.bitPattern) == expected.map(\.bitPattern), "\(k)×\(n), \(threads) threads: sums")
                #expect(sums.pointer[n] == -7, "\(k)×\(n): wrote past the sums")
            }
        }
    }

    /// A product whose output is over 16 MB and written in one depth pass (4,200 × 1,024 from
    /// K = 128, with bias and ReLU6) streams its output past the caches on AVX-512: the same bits
    /// as the same rows multiplied in blocks small enough to be stored normally, on 1 and 2 threads.
    @Test func aLargeOutputWrittenPastTheCachesHasTheSameBits() {
        var random = SeededRandom(seed: 21)
        let (m, k, n) = (4200, 128, 1024)
        let a = random.floats(m * k), w = random.floats(n * k), bias = random.floats(n)
        let b = w.withUnsafeBufferPointer { PackedMatrix(depth: k, columns: n, transposing: $0.baseAddress!, ldw: k) }
        for isa in Self.isas {
            let blocks = FloatBuffer(count: m * n)
            a.withUnsafeBufferPointer { a in bias.withUnsafeBufferPointer { bias in
                for start in stride(from: 0, to: m, by: 1000) {
                    let rows = min(1000, m - start)
                    #expect(!SGEMM.streamsOutput(m: rows, b: b, c: blocks.pointer + start * n, ldc: n, isa: isa))
                    SGEMM.multiply(m: rows, a: a.baseAddress! + start * k, lda: k, b: b, c: blocks.pointer + start * n, ldc: n,
                                   bias: bias.baseAddress!, activation: .relu6, isa: isa)
                }
            } }
            for threads in [1, 2] {
                let whole = FloatBuffer(count: m * n)
                #expect(SGEMM.streamsOutput(m: m, b: b, c: whole.pointer, ldc: n, isa: isa) == (isa == .avx512), "\(isa)")
                a.withUnsafeBufferPointer { a in bias.withUnsafeBufferPointer { bias in
                    SGEMM.multiply(m: m, a: a.baseAddress!, lda: k, b: b, c: whole.pointer, ldc: n, bias: bias.baseAddress!,
                                   activation: .relu6, threads: threads, isa: isa)
                } }
                let mismatch = (0..<(m * n)).first { whole[$0].bitPattern != blocks[$0].bitPattern }
                #expect(mismatch == nil, "\(isa), \(threads) threads: element \(mismatch ?? 0) differs")
            }
        }
    }

    /// Gathering rows (training's layer-0 gate rows from each token's projection): each row the
    /// indexed source row, streamed past the caches or not, including a width that cannot stream.
    @Test(arguments: [(5000, 1024), (300, 12)])
    func gatheredRowsAreTheIndexedRows(rows: Int, width: Int) {
        var random = SeededRandom(seed: UInt64(rows))
        let distinct = 700
        let source = random.floats(distinct * width)
        let index = (0..<rows).map { _ in Int32(random.int(in: 0...(distinct - 1))) }
        for stream: Int32 in [0, 1] {
            let out = FloatBuffer(count: rows * width + 1)
            out.pointer[rows * width] = -7
            source.withUnsafeBufferPointer { s in index.withUnsafeBufferPointer { i in
                loom_gather_rows(s.baseAddress!, i.baseAddress!, rows, width, out.pointer, stream)
            } }
            let wrong = (0..<(rows * width)).filter { out[$0].bitPattern != source[Int(index[$0 / width]) * width + $0 % width].bitPattern }
            #expect(wrong.isEmpty && out.pointer[rows * width] == -7, "\(rows)×\(width), stream \(stream): \(wrong.count) wrong")
        }
    }

    /// The packed layout itself, value by value from the source (depth blocks of strips, 16 floats
    /// per k, padding lanes zero), with the column sums — also above the size from which the copy
    /// is written past the caches (4,200 × 1,024: 17 MB), on 1 and 2 threads; on two, 300 × 520
    /// gives the second thread the partial last strip among full ones and 6,000 × 24 that strip alone.
    @Test(arguments: [(300, 40), (300, 520), (6000, 24), (4200, 1024)])
    func packingLaysEachStripOutRowByRow(depth k: Int, columns n: Int) {
        var random = SeededRandom(seed: UInt64(k + n))
        let ld = n + 16
        let m = random.floats(k * ld).map { $0 * 1000 }
        var expected = [Float](repeating: 0, count: n)
        for row in 0..<k { for column in 0..<n { expected[column] += m[row * ld + column] } }
        let streams = k * (n + 15) / 16 * 16 * 4 > PackedMatrix.streamingBytes
        #expect(streams == (k == 4200), "the large case streams, the small one does not")
        m.withUnsafeBufferPointer { source in
            for threads in [1, 2] {
                let sums = FloatBuffer(count: n)
                let packed = PackedMatrix(depth: k, columns: n, rowMajor: source.baseAddress!, ldb: ld,
                                          storage: FloatBuffer(count: PackedMatrix.storageCount(depth: k, columns: n), zeroed: false),
                                          threads: threads, columnSums: sums.pointer)
                let padded = (n + 15) / 16 * 16
                var wrong = 0
                var k0 = 0
                while k0 < k {
                    let depth = min(packed.blockDepth, k - k0)
                    for strip in 0..<(padded / 16) { for row in 0..<depth { for lane in 0..<16 {
                        let column = strip * 16 + lane
                        let value = packed.storage.pointer[k0 * padded + strip * depth * 16 + row * 16 + lane]
                        if value.bitPattern != (column < n ? m[(k0 + row) * ld + column] : 0).bitPattern { wrong += 1 }
                    } } }
                    k0 += depth
                }
                #expect(wrong == 0, "\(k)×\(n), \(threads) threads: \(wrong) packed values wrong")
                #expect(sums.array.map(\.bitPattern) == expected.map(\.bitPattern), "\(k)×\(n), \(threads) threads: sums")
            }
        }
    }

    @Test func packingAWeightTransposedEqualsPackingItsTranspose() {
        var random = SeededRandom(seed: 3)
        let (outputs, inputs) = (17, 259)
        let weight = random.floats(outputs * inputs)         // PyTorch [out, in]
        var transposed = [Float](repeating: 0, count: inputs * outputs)
        for o in 0..<outputs { for i in 0..<inputs { transposed[i * outputs + o] = weight[o * inputs + i] } }
        let viaTranspose = weight.withUnsafeBufferPointer {
            PackedMatrix(depth: inputs, columns: outputs, transposing: $0.baseAddress!, ldw: inputs)
        }
        let viaRows = transposed.withUnsafeBufferPointer {
            PackedMatrix(depth: inputs, columns: outputs, rowMajor: $0.baseAddress!, ldb: outputs)
        }
        #expect(viaTranspose.storage.array == viaRows.storage.array)
    }

    /// NHWC 3×3 convolution, padding 1, in Double: `weight(ky, kx, cin, cout)`.
    static func naiveConvolution(
        input: [Float], height: Int, width: Int, inChannels: Int, outChannels: Int, stride: Int,
        depthwise: Bool, weight: (Int, Int, Int, Int) -> Double, bias: [Float], activation: Activation
    ) -> [Double] {
        let outHeight = (height - 1) / stride + 1, outWidth = (width - 1) / stride + 1
        var out = [Double](repeating: 0, count: outHeight * outWidth * outChannels)
        for oy in 0..<outHeight {
            for ox in 0..<outWidth {
                for co in 0..<outChannels {
                    var sum = Double(bias[co])
                    for ky in 0..<3 {
                        for kx in 0..<3 {
                            let iy = oy * stride - 1 + ky, ix = ox * stride - 1 + kx
                            guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                            for ci in (depthwise ? co...co : 0...(inChannels - 1)) {
                                sum += Double(input[(iy * width + ix) * inChannels + ci]) * weight(ky, kx, ci, co)
                            }
                        }
                    }
                    out[(oy * outWidth + ox) * outChannels + co] = activate(sum, activation)
                }
            }
        }
        return out
    }

    @Test(arguments: [1, 3, 17], [1, 3, 17, 24, 40])
    func depthwiseConvolutionMatchesTheNaiveOne(size: Int, channels: Int) {
        for (stride, width) in [(1, size), (2, size), (2, size + 4)] {
            var random = SeededRandom(seed: UInt64(size * 100 + channels * 10 + stride))
            let input = random.floats(size * width * channels)
            let weights = random.floats(9 * channels).map { $0 * 3 }   // [tap][channel]
            let bias = random.floats(channels)
            let expected = Self.naiveConvolution(
                input: input, height: size, width: width, inChannels: channels, outChannels: channels, stride: stride,
                depthwise: true, weight: { ky, kx, c, _ in Double(weights[(ky * 3 + kx) * channels + c]) },
                bias: bias, activation: .relu6)
            var outputs: [[Float]] = []
            for isa in Self.isas {
                let output = FloatBuffer(count: expected.count + 1)
                output[expected.count] = -7
                let (weightBuffer, biasBuffer, inputBuffer) = (FloatBuffer(weights), FloatBuffer(bias), FloatBuffer(input))
                DepthwiseConvolution.apply(input: inputBuffer.pointer, height: size, width: width, channels: channels,
                                           stride: stride, weights: weightBuffer.pointer, bias: biasBuffer.pointer,
                                           activation: .relu6, output: output.pointer, isa: isa)
                withExtendedLifetime((weightBuffer, biasBuffer, inputBuffer)) {}
                let actual = Array(output.array.prefix(expected.count))
                let error = Self.relativeError(actual, expected)
                #expect(error < 1e-5, "\(size)×\(width)×\(channels) stride \(stride) \(isa): relative error \(error)")
                #expect(output[expected.count] == -7, "\(size)×\(width)×\(channels) stride \(stride) \(isa): wrote past the end")
                outputs.append(actual)
            }
            #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(size)×\(width)×\(channels) stride \(stride): \(Self.isas) differ")
        }
    }

    @Test(arguments: [1, 3, 17, 23], [1, 3, 17, 32, 64])
    func directConvolutionMatchesTheNaiveOne(size: Int, outChannels: Int) {
        for (inChannels, stride) in [(1, 1), (3, 2), (3, 1), (5, 2)] {
            var random = SeededRandom(seed: UInt64(size * 1000 + outChannels * 10 + inChannels + stride))
            let input = random.floats(size * size * inChannels)
            let weights = random.floats(9 * inChannels * outChannels)   // [tap][cin][cout]
            let bias = random.floats(outChannels)
            let expected = Self.naiveConvolution(
                input: input, height: size, width: size, inChannels: inChannels, outChannels: outChannels, stride: stride,
                depthwise: false, weight: { ky, kx, ci, co in Double(weights[((ky * 3 + kx) * inChannels + ci) * outChannels + co]) },
                bias: bias, activation: .relu)
            var outputs: [[Float]] = []
            for isa in Self.isas {
                let output = FloatBuffer(count: expected.count + 1)
                output[expected.count] = -7
                let (weightBuffer, biasBuffer, inputBuffer) = (FloatBuffer(weights), FloatBuffer(bias), FloatBuffer(input))
                DirectConvolution.apply(input: inputBuffer.pointer, height: size, width: size, inChannels: inChannels,
                                        stride: stride, weights: weightBuffer.pointer, bias: biasBuffer.pointer,
                                        outChannels: outChannels, activation: .relu, output: output.pointer, isa: isa)
                withExtendedLifetime((weightBuffer, biasBuffer, inputBuffer)) {}
                let actual = Array(output.array.prefix(expected.count))
                let error = Self.relativeError(actual, expected)
                #expect(error < 1e-5, "\(size)² × \(inChannels) → \(outChannels) stride \(stride) \(isa): relative error \(error)")
                #expect(output[expected.count] == -7, "\(size)² → \(outChannels) stride \(stride) \(isa): wrote past the end")
                outputs.append(actual)
            }
            #expect(outputs.allSatisfy { $0 == outputs[0] }, "\(size)² × \(inChannels) → \(outChannels) stride \(stride): \(Self.isas) differ")
        }
    }

    @Test(arguments: [1, 3, 17, 255])
    func globalAveragePoolAndL2NormaliseMatchTheNaiveOnes(channels: Int) {
        var random = SeededRandom(seed: UInt64(channels))
        let pixels = 49
        let input = random.floats(pixels * channels)
        let output = FloatBuffer(count: channels + 1)
        output[channels] = -7
        input.withUnsafeBufferPointer { GlobalAveragePool.apply($0.baseAddress!, pixels: pixels, channels: channels, into: output.pointer) }
        let means = (0..<channels).map { c in (0..<pixels).map { Double(input[$0 * channels + c]) }.reduce(0, +) / Double(pixels) }
        #expect(Self.relativeError(Array(output.array.prefix(channels)), means) < 1e-6)
        #expect(output[channels] == -7)

        let vector = FloatBuffer(random.floats(channels))
        let norm = vector.array.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        let expected = vector.array.map { Double($0) / norm }
        VectorMath.normalise(vector.pointer, count: channels)
        #expect(Self.relativeError(vector.array, expected) < 1e-6, "\(channels) values")
        let zeros = FloatBuffer(count: channels)
        VectorMath.normalise(zeros.pointer, count: channels)
        #expect(zeros.array.allSatisfy { $0 == 0 }, "a zero vector stays zero (no NaN)")
    }

    @Test func vectorExpSigmoidAndTanhMatchTheLibraryFunctions() {
        var worstExp = 0.0, worstSigmoid = 0.0, worstTanh = 0.0
        var x = -87.0
        while x < 88 {
            let lanes = SIMD8<Float>((0..<8).map { Float(x + Double($0) * 0.0123) })
            let e = VectorMath.exp(lanes), s = VectorMath.sigmoid(lanes), t = VectorMath.tanh(lanes)
            for lane in 0..<8 {
                let v = Double(lanes[lane])
                worstExp = max(worstExp, abs(Double(e[lane]) - Foundation.exp(v)) / Foundation.exp(v))
                worstSigmoid = max(worstSigmoid, abs(Double(s[lane]) - 1 / (1 + Foundation.exp(-v))))
                worstTanh = max(worstTanh, abs(Double(t[lane]) - Foundation.tanh(v)))
            }
            x += 0.173
        }
        #expect(worstExp < 4e-7, "exp relative error \(worstExp)")
        #expect(worstSigmoid < 2e-7, "sigmoid error \(worstSigmoid)")
        #expect(worstTanh < 5e-7, "tanh error \(worstTanh)")
    }
}
