import Dispatch
import LoomInference
import LoomKernels

/// The LSTM stack's training passes: a forward pass that keeps what backpropagation through
/// time needs (each layer's input, activated gates, cells and outputs), and the backward pass
/// from the gradient of the top layer's outputs to the weights and to the layer-0 inputs.
///
/// Rows are time-major: the sequences are sorted longest first, and step t's rows are the
/// sequences still running then, a prefix of that order — so each step is one contiguous block
/// of rows, its recurrent product (h·W_hhᵀ forward, dgates·W_hh backward) is one GEMM on it,
/// and the previous step's block holds h_{t-1} and c_{t-1} of the same sequences in the same
/// order. The weight gradients are one GEMM each over every row.
struct LSTMTraining {
    let hidden: Int
    let inputSize: Int
    let layers: Int

    /// A batch's layout and activations.
    final class Tape {
        let lengths: [Int]
        let order: [Int]          // sequence indices, longest first (ties in batch order)
        let rank: [Int]           // position of each sequence in `order`
        let active: [Int]         // sequences running at each step
        let stepStart: [Int]      // first row of each step
        let total: Int
        var inputs: [FloatBuffer] = []     // per layer: total × (inputSize | hidden)
        var gates: [FloatBuffer] = []      // per layer: total × 4·hidden, after σ / tanh
        var cells: [FloatBuffer] = []      // per layer: total × hidden
        var outputs: [FloatBuffer] = []    // per layer: total × hidden

        init(lengths: [Int]) {
            self.lengths = lengths
            order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
            var rank = [Int](repeating: 0, count: lengths.count)
            for (position, sequence) in order.enumerated() { rank[sequence] = position }
            self.rank = rank
            let steps = order.first.map { lengths[$0] } ?? 0
            var active = [Int](repeating: 0, count: steps)
            for length in lengths { for step in 0..<length { active[step] += 1 } }
            self.active = active
            var start = [Int](repeating: 0, count: steps + 1)
            for step in 0..<steps { start[step + 1] = start[step] + active[step] }
            stepStart = start
            total = start[steps]
        }

        var maxLength: Int { active.count }

        /// The row of sequence `sequence` at step `step`.
        func row(_ sequence: Int, step: Int) -> Int { stepStart[step] + rank[sequence] }

        /// The row of each sequence's last step.
        func lastRow(_ sequence: Int) -> Int { row(sequence, step: lengths[sequence] - 1) }
    }

    struct Weights {
        let inputWeight: UnsafeMutablePointer<Float>     // 4H × in
        let recurrentWeight: UnsafeMutablePointer<Float> // 4H × H
        let inputBias: UnsafeMutablePointer<Float>
        let recurrentBias: UnsafeMutablePointer<Float>
        let inputGradient: UnsafeMutablePointer<Float>
        let recurrentGradient: UnsafeMutablePointer<Float>
        let inputBiasGradient: UnsafeMutablePointer<Float>
        let recurrentBiasGradient: UnsafeMutablePointer<Float>
    }

    /// Runs every layer over `inputs` (the tape's rows × inputSize, kept by the tape).
    func forward(_ inputs: FloatBuffer, tape: Tape, weights: [Weights], threads: Int, arena: TrainingArena) {
        let gatesWidth = 4 * hidden
        let total = tape.total
        var layerInput = inputs
        let recurrent = arena.take(max(1, tape.active.first ?? 0) * gatesWidth)
        for (layer, w) in weights.enumerated() {
            let inputs = layer == 0 ? inputSize : hidden
            let bias = arena.take(gatesWidth)
            for g in 0..<gatesWidth { bias[g] = w.inputBias[g] + w.recurrentBias[g] }
            let gates = arena.take(total * gatesWidth), cells = arena.take(total * hidden), outputs = arena.take(total * hidden)
            // The input projection of every step at once goes straight into the gate rows.
            LinearAlgebra.forward(layerInput.pointer, rows: total, weight: w.inputWeight, bias: bias.pointer, inputs: inputs,
                                  outputs: gatesWidth, into: gates.pointer, threads: threads, arena: arena)
            let packed = LinearAlgebra.packTransposed(w.recurrentWeight, depth: hidden, columns: gatesWidth, arena: arena)
            let (recurrentRows, gateRows) = (Shared(recurrent.pointer), Shared(gates.pointer))
            let (cellRows, outputRows) = (Shared(cells.pointer), Shared(outputs.pointer))
            for step in 0..<tape.maxLength {
                let start = tape.stepStart[step], previous = step > 0 ? tape.stepStart[step - 1] : 0
                // Each worker takes a block of rows: its part of h·W_hhᵀ, then those rows' cells.
                Self.inRowBlocks(tape.active[step], threads: threads) { rows in
                    if step > 0 {
                        SGEMM.multiply(m: rows.count, a: outputRows.value + (previous + rows.lowerBound) * hidden, lda: hidden, b: packed,
                                       c: recurrentRows.value + rows.lowerBound * gatesWidth, ldc: gatesWidth)
                    }
                    for r in rows {
                        Self.cellForward(
                            recurrent: step > 0 ? UnsafePointer(recurrentRows.value + r * gatesWidth) : nil,
                            gates: gateRows.value + (start + r) * gatesWidth,
                            previousCell: step > 0 ? UnsafePointer(cellRows.value + (previous + r) * hidden) : nil,
                            cell: cellRows.value + (start + r) * hidden, state: outputRows.value + (start + r) * hidden, hidden: hidden)
                    }
                }
            }
            tape.inputs.append(layerInput)
            tape.gates.append(gates)
            tape.cells.append(cells)
            tape.outputs.append(outputs)
            layerInput = outputs
        }
    }

    /// From dL/d(top outputs) (total × hidden) to every weight gradient (written over) and to
    /// dL/d(layer-0 inputs), returned (total × inputSize).
    func backward(_ topGradient: FloatBuffer, tape: Tape, weights: [Weights], threads: Int, arena: TrainingArena) -> FloatBuffer {
        let gatesWidth = 4 * hidden
        let total = tape.total, count = tape.lengths.count
        var outputGradient = topGradient
        let recurrentGradient = arena.take(count * hidden), cellGradient = arena.take(count * hidden)
        for layer in stride(from: weights.count - 1, through: 0, by: -1) {
            let w = weights[layer]
            let inputs = layer == 0 ? inputSize : hidden
            let gates = tape.gates[layer], cells = tape.cells[layer], outputs = tape.outputs[layer]
            // Gate gradient rows are the A of three products: 4·hidden = 1024 floats would put them
            // 4 KB apart, where SGEMM copies every tile of them; padded rows are read in place.
            let gateStride = SGEMM.unaliasedStride(gatesWidth)
            let gateGradient = arena.take(total * gateStride)
            let packed = LinearAlgebra.pack(w.recurrentWeight, depth: gatesWidth, columns: hidden, arena: arena)
            recurrentGradient.pointer.initialize(repeating: 0, count: count * hidden)
            cellGradient.pointer.initialize(repeating: 0, count: count * hidden)
            let (upRows, back, cellBack) = (Shared(outputGradient.pointer), Shared(recurrentGradient.pointer), Shared(cellGradient.pointer))
            let (gateGradientRows, gateRows, cellRows) = (Shared(gateGradient.pointer), Shared(gates.pointer), Shared(cells.pointer))
            for step in stride(from: tape.maxLength - 1, through: 0, by: -1) {
                let start = tape.stepStart[step], previous = step > 0 ? tape.stepStart[step - 1] : 0
                // Each worker takes a block of rows: their cells backwards, then their part of dgates·W_hh.
                Self.inRowBlocks(tape.active[step], threads: threads) { rows in
                    for r in rows {
                        Self.cellBackward(
                            outputGradient: upRows.value + (start + r) * hidden, recurrent: back.value + r * hidden,
                            gates: gateRows.value + (start + r) * gatesWidth, cell: cellRows.value + (start + r) * hidden,
                            previousCell: step > 0 ? UnsafePointer(cellRows.value + (previous + r) * hidden) : nil,
                            cellGradient: cellBack.value + r * hidden, gateGradient: gateGradientRows.value + (start + r) * gateStride,
                            hidden: hidden)
                    }
                    if step > 0 {
                        SGEMM.multiply(m: rows.count, a: gateGradientRows.value + (start + rows.lowerBound) * gateStride, lda: gateStride,
                                       b: packed, c: back.value + rows.lowerBound * hidden, ldc: hidden)
                    }
                }
            }
            // dWᵀ = Xᵀ·dG for both weights, with dG packed once: X is h_{t-1} (zeros at step 0) or the layer's input.
            let previousOutputs = arena.take(total * hidden)
            previousOutputs.pointer.initialize(repeating: 0, count: (tape.active.first ?? 0) * hidden)
            for step in 1..<max(1, tape.maxLength) {
                (previousOutputs.pointer + tape.stepStart[step] * hidden)
                    .update(from: outputs.pointer + tape.stepStart[step - 1] * hidden, count: tape.active[step] * hidden)
            }
            let packedGradient = LinearAlgebra.pack(gateGradient.pointer, depth: total, columns: gatesWidth, ld: gateStride, arena: arena,
                                                     threads: threads)
            LinearAlgebra.transposedWeightGradient(x: previousOutputs.pointer, rows: total, inputs: hidden, packedGradient: packedGradient,
                                                   weight: w.recurrentGradient, threads: threads, arena: arena)
            LinearAlgebra.transposedWeightGradient(x: tape.inputs[layer].pointer, rows: total, inputs: inputs,
                                                   packedGradient: packedGradient, weight: w.inputGradient, threads: threads, arena: arena)
            LinearAlgebra.columnSums(gateGradient.pointer, rows: total, columns: gatesWidth, ld: gateStride, into: w.inputBiasGradient,
                                     threads: threads)
            w.recurrentBiasGradient.update(from: w.inputBiasGradient, count: gatesWidth)
            let below = arena.take(total * inputs)
            LinearAlgebra.inputGradient(gateGradient.pointer, rows: total, ldy: gateStride, weight: w.inputWeight, inputs: inputs,
                                        outputs: gatesWidth, into: below.pointer, threads: threads, arena: arena)
            // This layer's gate gradients and packed copies are spent: the layer below takes them over.
            arena.release(gateGradient, previousOutputs, packedGradient.storage, packed.storage)
            outputGradient = below
        }
        return outputGradient
    }

    /// A pointer handed to the workers of one step; each writes only its own rows.
    struct Shared: @unchecked Sendable {
        let value: UnsafeMutablePointer<Float>
        init(_ value: UnsafeMutablePointer<Float>) { self.value = value }
    }

    /// Runs `body` over rows 0..<count split into `threads` blocks (whole 6-row tiles), in
    /// parallel. A row's result does not depend on its block.
    static func inRowBlocks(_ count: Int, threads: Int, _ body: (Range<Int>) -> Void) {
        WorkSplit.forEach(count, grain: 6, threads: threads, body)
    }

    /// Adds the recurrent part to the gate row (which holds the input projection), activates it
    /// in place (σ, σ, tanh, σ), and writes the step's cell and hidden state.
    @inline(__always)
    static func cellForward(recurrent: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>, previousCell: UnsafePointer<Float>?,
                            cell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, hidden: Int) {
        let g = UnsafeMutableRawPointer(gates), c = UnsafeMutableRawPointer(cell), h = UnsafeMutableRawPointer(state)
        let r = recurrent.map { UnsafeRawPointer($0) }, cp = previousCell.map { UnsafeRawPointer($0) }
        var unit = 0
        while unit < hidden {
            let lanes = hidden - unit
            func gate(_ index: Int) -> SIMD8<Float> {
                let offset = index * hidden + unit
                let value = Lanes.load(g, floatOffset: offset, count: lanes)
                guard let r else { return value }
                return value + Lanes.load(r, floatOffset: offset, count: lanes)
            }
            let inputGate = VectorMath.sigmoid(gate(0))
            let forgetGate = VectorMath.sigmoid(gate(1))
            let candidate = VectorMath.tanh(gate(2))
            let outputGate = VectorMath.sigmoid(gate(3))
            Lanes.store(inputGate, g, floatOffset: unit, count: lanes)
            Lanes.store(forgetGate, g, floatOffset: hidden + unit, count: lanes)
            Lanes.store(candidate, g, floatOffset: 2 * hidden + unit, count: lanes)
            Lanes.store(outputGate, g, floatOffset: 3 * hidden + unit, count: lanes)
            let oldCell = cp.map { Lanes.load($0, floatOffset: unit, count: lanes) } ?? SIMD8<Float>()
            let newCell = forgetGate * oldCell + inputGate * candidate
            Lanes.store(newCell, c, floatOffset: unit, count: lanes)
            Lanes.store(outputGate * VectorMath.tanh(newCell), h, floatOffset: unit, count: lanes)
            unit += 8
        }
    }

    /// One step back through the cell: dh = (gradient from above) + (gradient from step t+1);
    /// writes the pre-activation gate gradient and leaves dc_{t-1} in `cellGradient`.
    @inline(__always)
    static func cellBackward(outputGradient: UnsafePointer<Float>, recurrent: UnsafePointer<Float>, gates: UnsafePointer<Float>,
                             cell: UnsafePointer<Float>, previousCell: UnsafePointer<Float>?,
                             cellGradient: UnsafeMutablePointer<Float>, gateGradient: UnsafeMutablePointer<Float>, hidden: Int) {
        let up = UnsafeRawPointer(outputGradient), back = UnsafeRawPointer(recurrent), g = UnsafeRawPointer(gates)
        let c = UnsafeRawPointer(cell), cp = previousCell.map { UnsafeRawPointer($0) }
        let dc = UnsafeMutableRawPointer(cellGradient), dg = UnsafeMutableRawPointer(gateGradient)
        var unit = 0
        while unit < hidden {
            let lanes = hidden - unit
            let dh = Lanes.load(up, floatOffset: unit, count: lanes) + Lanes.load(back, floatOffset: unit, count: lanes)
            let i = Lanes.load(g, floatOffset: unit, count: lanes)
            let f = Lanes.load(g, floatOffset: hidden + unit, count: lanes)
            let candidate = Lanes.load(g, floatOffset: 2 * hidden + unit, count: lanes)
            let o = Lanes.load(g, floatOffset: 3 * hidden + unit, count: lanes)
            let tanhCell = VectorMath.tanh(Lanes.load(c, floatOffset: unit, count: lanes))
            let previous = cp.map { Lanes.load($0, floatOffset: unit, count: lanes) } ?? SIMD8<Float>()
            let dOut = dh * tanhCell
            let dCell = Lanes.load(dc, floatOffset: unit, count: lanes) + dh * o * (1 - tanhCell * tanhCell)
            Lanes.store(dCell * candidate * i * (1 - i), dg, floatOffset: unit, count: lanes)
            Lanes.store(dCell * previous * f * (1 - f), dg, floatOffset: hidden + unit, count: lanes)
            Lanes.store(dCell * i * (1 - candidate * candidate), dg, floatOffset: 2 * hidden + unit, count: lanes)
            Lanes.store(dOut * o * (1 - o), dg, floatOffset: 3 * hidden + unit, count: lanes)
            Lanes.store(dCell * f, dc, floatOffset: unit, count: lanes)
            unit += 8
        }
    }
}
