/// The text tower's recurrent part: a stack of PyTorch LSTM layers (gate order i, f, g, o; both
/// biases) run over a batch of token sequences of different lengths, returning the top layer's
/// hidden state at each sequence's last token.
///
/// Each layer first projects the inputs of every time step of every sequence in one GEMM
/// (x·W_ihᵀ + b_ih + b_hh). The recurrence then runs the sequences in lockstep, longest first,
/// so the sequences still running at step t are a prefix of the batch and h·W_hhᵀ is one GEMM
/// over them. A row's result does not depend on which other rows share the GEMM, so an item's
/// vector is the same in any batch and at any thread count.
public struct TextLSTM: Sendable {
    struct Layer: Sendable {
        let inputProjection: DenseLayer   // W_ih, bias b_ih + b_hh
        let recurrent: PackedMatrix       // W_hhᵀ
    }

    public let hidden: Int
    let layers: [Layer]

    /// Loads `<prefix>weight_ih_l{n}`, `weight_hh_l{n}`, `bias_ih_l{n}`, `bias_hh_l{n}`.
    public init(_ file: any TensorSource, prefix: String, inputSize: Int, hidden: Int, layers count: Int) throws {
        self.hidden = hidden
        var layers: [Layer] = []
        var inputs = inputSize
        for n in 0..<count {
            let gates = 4 * hidden
            let weightIH = try file.floats(prefix + "weight_ih_l\(n)", shape: [gates, inputs])
            let weightHH = try file.floats(prefix + "weight_hh_l\(n)", shape: [gates, hidden])
            let biasIH = try file.floats(prefix + "bias_ih_l\(n)", shape: [gates])
            let biasHH = try file.floats(prefix + "bias_hh_l\(n)", shape: [gates])
            let bias = zip(biasIH, biasHH).map { $0 + $1 }
            let recurrent = weightHH.withUnsafeBufferPointer {
                PackedMatrix(depth: hidden, columns: gates, transposing: $0.baseAddress!, ldw: hidden)
            }
            layers.append(Layer(
                inputProjection: DenseLayer(weight: weightIH, bias: bias, inputs: inputs, outputs: gates, activation: .none),
                recurrent: recurrent))
            inputs = hidden
        }
        self.layers = layers
    }

    /// `inputs` holds the input vectors of every step of every sequence, sequence after
    /// sequence (`lengths[s]` rows of `inputSize` floats each). Writes the last hidden state of
    /// each sequence to `output` (`lengths.count` rows of `hidden`); a sequence of length 0 gets zeros.
    public func lastHidden(inputs: UnsafePointer<Float>, lengths: [Int], into output: UnsafeMutablePointer<Float>) {
        let total = lengths.reduce(0, +)
        let sequenceCount = lengths.count
        output.initialize(repeating: 0, count: sequenceCount * hidden)
        guard total > 0 else { return }
        var starts = [Int](repeating: 0, count: sequenceCount)
        for s in 1..<max(1, sequenceCount) { starts[s] = starts[s - 1] + lengths[s - 1] }
        // Longest first; ties keep the batch order.
        let order = (0..<sequenceCount).sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let gates = 4 * hidden
        let projected = FloatBuffer(count: total * gates, zeroed: false)
        var layerInput = UnsafePointer(inputs)
        var layerOutput = FloatBuffer(count: total * hidden)
        var previousOutput: FloatBuffer?
        for layer in layers {
            layer.inputProjection.apply(layerInput, rows: total, into: projected.pointer)
            let state = FloatBuffer(count: sequenceCount * hidden)   // h of each sorted row
            let cell = FloatBuffer(count: sequenceCount * hidden)
            let recurrentGates = FloatBuffer(count: sequenceCount * gates, zeroed: false)
            let maxLength = lengths[order[0]]
            for step in 0..<maxLength {
                var active = 0
                while active < sequenceCount, lengths[order[active]] > step { active += 1 }
                SGEMM.multiply(m: active, a: state.pointer, lda: hidden, b: layer.recurrent,
                               c: recurrentGates.pointer, ldc: gates)
                for row in 0..<active {
                    let timeRow = starts[order[row]] + step
                    Self.cellUpdate(
                        gates: recurrentGates.pointer + row * gates, projected: projected.pointer + timeRow * gates,
                        cell: cell.pointer + row * hidden, state: state.pointer + row * hidden, hidden: hidden)
                    (layerOutput.pointer + timeRow * hidden).update(from: state.pointer + row * hidden, count: hidden)
                }
            }
            previousOutput = layerOutput
            layerInput = UnsafePointer(layerOutput.pointer)
            layerOutput = FloatBuffer(count: total * hidden)
        }
        guard let top = previousOutput else { return }
        for s in 0..<sequenceCount where lengths[s] > 0 {
            (output + s * hidden).update(from: top.pointer + (starts[s] + lengths[s] - 1) * hidden, count: hidden)
        }
    }

    /// c = σ(f)·c + σ(i)·tanh(g); h = σ(o)·tanh(c), eight units at a time (any hidden size).
    @inline(__always)
    static func cellUpdate(gates: UnsafeMutablePointer<Float>, projected: UnsafePointer<Float>,
                           cell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, hidden: Int) {
        let g = UnsafeRawPointer(gates), p = UnsafeRawPointer(projected)
        let c = UnsafeMutableRawPointer(cell), h = UnsafeMutableRawPointer(state)
        var unit = 0
        while unit < hidden {
            let lanes = hidden - unit
            func gate(_ index: Int) -> SIMD8<Float> {
                let offset = index * hidden + unit
                return Lanes.load(g, floatOffset: offset, count: lanes) + Lanes.load(p, floatOffset: offset, count: lanes)
            }
            let inputGate = VectorMath.sigmoid(gate(0))
            let forgetGate = VectorMath.sigmoid(gate(1))
            let candidate = VectorMath.tanh(gate(2))
            let outputGate = VectorMath.sigmoid(gate(3))
            let newCell = forgetGate * Lanes.load(c, floatOffset: unit, count: lanes) + inputGate * candidate
            Lanes.store(newCell, c, floatOffset: unit, count: lanes)
            Lanes.store(outputGate * VectorMath.tanh(newCell), h, floatOffset: unit, count: lanes)
            unit += 8
        }
    }
}
