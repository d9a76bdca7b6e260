import LoomKernels
/// The text tower's recurrent part: a stack of PyTorch LSTM layers (gate order i, f, g, o; both
/// biases) run over a batch of token sequences of different lengths, returning the top layer's
/// hidden state at each sequence's last token, or its mean over the sequence (`TextPooling`).
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

    /// Floats of scratch space `pooledHidden` needs for `tokens` steps in `sequences` sequences.
    public func scratchCount(tokens: Int, sequences: Int) -> Int {
        let gates = 4 * hidden
        return tokens * gates + 2 * tokens * hidden + sequences * (2 * hidden + gates)
    }

    /// `inputs` holds the input vectors of every step of every sequence, sequence after
    /// sequence (`lengths[s]` rows of `inputSize` floats each). Writes the pooled top-layer state
    /// of each sequence to `output` (`lengths.count` rows of `hidden`); a sequence of length 0
    /// gets zeros. `scratch` holds `scratchCount(tokens:sequences:)` floats (a fresh buffer when nil).
    public func pooledHidden(inputs: UnsafePointer<Float>, lengths: [Int], pooling: TextPooling = .last,
                             into output: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>? = nil) {
        let total = lengths.reduce(0, +)
        let sequenceCount = lengths.count
        output.initialize(repeating: 0, count: sequenceCount * hidden)
        guard total > 0 else { return }
        let owned = scratch == nil ? FloatBuffer(count: scratchCount(tokens: total, sequences: sequenceCount), zeroed: false) : nil
        var free = scratch ?? owned!.pointer
        func take(_ count: Int) -> UnsafeMutablePointer<Float> {
            defer { free += count }
            return free
        }
        var starts = [Int](repeating: 0, count: sequenceCount)
        for s in 1..<max(1, sequenceCount) { starts[s] = starts[s - 1] + lengths[s - 1] }
        // Longest first; ties keep the batch order.
        let order = (0..<sequenceCount).sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
        let gates = 4 * hidden
        let projected = take(total * gates)
        var layerInput = UnsafePointer(inputs)
        var layerOutput = take(total * hidden), spareOutput = take(total * hidden)
        let state = take(sequenceCount * hidden)   // h of each sorted row
        let cell = take(sequenceCount * hidden)
        let recurrentGates = take(sequenceCount * gates)
        for layer in layers {
            layer.inputProjection.apply(layerInput, rows: total, into: projected)
            state.initialize(repeating: 0, count: sequenceCount * hidden)
            cell.initialize(repeating: 0, count: sequenceCount * hidden)
            let maxLength = lengths[order[0]]
            for step in 0..<maxLength {
                var active = 0
                while active < sequenceCount, lengths[order[active]] > step { active += 1 }
                SGEMM.multiply(m: active, a: state, lda: hidden, b: layer.recurrent, c: recurrentGates, ldc: gates)
                for row in 0..<active {
                    let timeRow = starts[order[row]] + step
                    LSTMCell.forward(
                        recurrent: projected + timeRow * gates, gates: recurrentGates + row * gates, previousCell: cell + row * hidden,
                        cell: cell + row * hidden, state: state + row * hidden, hidden: hidden, keepGates: false)
                    (layerOutput + timeRow * hidden).update(from: state + row * hidden, count: hidden)
                }
            }
            layerInput = UnsafePointer(layerOutput)
            swap(&layerOutput, &spareOutput)
        }
        for s in 0..<sequenceCount where lengths[s] > 0 {
            switch pooling {
            case .last:
                (output + s * hidden).update(from: layerInput + (starts[s] + lengths[s] - 1) * hidden, count: hidden)
            case .mean:
                Self.meanRows(layerInput + starts[s] * hidden, rows: lengths[s], width: hidden, into: output + s * hidden)
            }
        }
        withExtendedLifetime(owned) {}   // the rows pooled above live in it when no scratch was given
    }

    /// The mean of `rows` consecutive rows: summed in row order, then divided by the count. The
    /// training forward pass calls this too, so trained and served vectors agree bit for bit.
    public static func meanRows(_ rows: UnsafePointer<Float>, rows count: Int, width: Int, into output: UnsafeMutablePointer<Float>) {
        output.update(from: rows, count: width)
        for row in 1..<max(1, count) {
            let source = rows + row * width
            for i in 0..<width { output[i] += source[i] }
        }
        let divisor = Float(count)
        for i in 0..<width { output[i] /= divisor }
    }
}
