import CLoomKernels
import LoomCore
import LoomKernels

/// A 1×1 convolution (or linear layer) in 8-bit arithmetic: weights s8 with one scale per output
/// channel (symmetric, max |w| → 127), each input row quantized on the fly to u8 with its own
/// scale and zero point (its range, 0 included), integer dot products (AVX-512 VNNI `vpdpbusd`,
/// or AVX2 `vpmaddwd` on widened bytes: exact sums, the same bits), then bias and activation in
/// float. A row's result depends on that row alone, so bands and batches do not change it.
public struct QuantizedDenseLayer: Sendable {
    public let inputs: Int
    public let outputs: Int
    let activation: Activation
    /// 16-column strips of s8 weights, `stripBytes` apart (see `loom_u8s8_tile`), 64-byte aligned.
    private let packed: WeightBytes
    private let stripBytes: Int
    private let strips: Int
    /// Per output column, padded to whole strips: Σₖ q_w, the weight scale, the bias.
    private let columnSums: [Int32]
    private let columnScales: FloatBuffer
    private let bias: FloatBuffer

    /// Rows quantized at a time: their bytes stay in cache while every strip reads them.
    static let chunkRows = 48

    /// `weight` holds `outputs` rows of `inputs` floats (PyTorch's layout); `inputs` a multiple of 4.
    public init(weight: [Float], bias: [Float], inputs: Int, outputs: Int, activation: Activation) {
        precondition(inputs % 4 == 0, "8-bit layers take a multiple of 4 inputs")
        self.inputs = inputs
        self.outputs = outputs
        self.activation = activation
        strips = (outputs + 15) / 16
        let groups = inputs / 4
        stripBytes = groups * 64
        let padded = strips * 16
        packed = WeightBytes(count: strips * stripBytes)
        let bytes = packed.pointer
        var sums = [Int32](repeating: 0, count: padded)
        let scales = FloatBuffer(count: padded)
        let biases = FloatBuffer(count: padded)
        for column in 0..<outputs {
            let row = weight[(column * inputs)..<((column + 1) * inputs)]
            let largest = row.reduce(Float(0)) { max($0, abs($1)) }
            let scale = largest > 0 ? largest / 127 : 1
            scales[column] = scale
            biases[column] = bias[column]
            let strip = bytes + (column / 16) * stripBytes + (column % 16) * 4
            for k in 0..<inputs {
                let q = Int8(max(-127, min(127, (row[row.startIndex + k] / scale).rounded(.toNearestOrEven))))
                strip[(k / 4) * 64 + k % 4] = q
                sums[column] += Int32(q)
            }
        }
        columnSums = sums
        columnScales = scales
        self.bias = biases
    }

    /// output[rows × outputs] ≈ input[rows × inputs] · Wᵀ + b, then the activation. Rows are
    /// `inputStride` / `outputStride` floats apart (default: packed).
    public func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
                      inputStride: Int? = nil, outputStride: Int? = nil, isa: VectorISA = CPUFeatures.isa) {
        let ldx = inputStride ?? inputs, ldo = outputStride ?? outputs
        let ldq = (inputs + 63) & ~63
        let chunk = Self.chunkRows
        let bounds = activation.bounds
        let (lower, upper) = (bounds.lower[0], bounds.upper[0])
        let groups = inputs / 4
        let weights = UnsafePointer(packed.pointer)
        // Both kernels take the same arguments and give the same bits.
        let tile = isa == .avx512 ? loom_u8s8_tile_avx512 : loom_u8s8_tile
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunk * ldq) { quantized in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: chunk) { rowScales in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { rowZeros in
                    columnSums.withUnsafeBufferPointer { sums in
                        var first = 0
                        while first < rows {
                            let count = min(chunk, rows - first)
                            loom_quantize_rows_u8(input + first * ldx, ldx, count, inputs, quantized.baseAddress!, ldq,
                                                  rowScales.baseAddress!, rowZeros.baseAddress!)
                            tile(quantized.baseAddress!, ldq, count, weights, stripBytes, strips, groups,
                                 rowScales.baseAddress!, rowZeros.baseAddress!, sums.baseAddress!,
                                 columnScales.pointer, bias.pointer, outputs, output + first * ldo, ldo, lower, upper)
                            first += count
                        }
                    }
                }
            }
        }
    }
}

/// The packed weights: zeroed, 64-byte aligned bytes (the AVX-512 kernel loads whole strips
/// aligned), owned here and freed with the layer.
private final class WeightBytes: @unchecked Sendable {
    // @unchecked: written once while the layer is made, only read after.
    let pointer: UnsafeMutablePointer<Int8>

    init(count: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1), alignment: 64).bindMemory(to: Int8.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
