import Dispatch

/// The LSTM stack's training passes: a forward pass that keeps what backpropagation through
/// time needs (each layer's input, activated gates, cells and outputs), and the backward pass
/// from the gradient of the top layer's outputs to the weights and to the layer-0 inputs.
///
/// Sequences run in lockstep, longest first, as in `TextLSTM`: at step t the sequences still
/// running are a prefix of the sorted rows, so each step's recurrent product is one GEMM, in
/// the forward pass (h·W_hhᵀ) and the backward one (dgates·W_hh). The weight gradients are one
/// GEMM each over every step of every sequence.
struct LSTMTraining {
    let hidden: Int
    let inputSize: Int
    let layers: Int

    /// A batch's activations. Rows are per sequence, then per step (`starts[s] + t`).
    final class Tape {
        let lengths: [Int]
        let starts: [Int]
        let order: [Int]          // sequence indices, longest first (ties in batch order)
        let total: Int
        var inputs: [FloatBuffer] = []     // per layer: total × (inputSize | hidden)
        var gates: [FloatBuffer] = []      // per layer: total × 4·hidden, after σ / tanh
        var cells: [FloatBuffer] = []      // per layer: total × hidden
        var outputs: [FloatBuffer] = []    // per layer: total × hidden

        init(lengths: [Int]) {
            self.lengths = lengths
            var starts = [Int](repeating: 0, count: lengths.count)
            for s in lengths.indices.dropFirst() { starts[s] = starts[s - 1] + lengths[s - 1] }
            self.starts = starts
            order = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
            total = lengths.reduce(0, +)
        }

        var maxLength: Int { order.first.map { lengths[$0] } ?? 0 }

        /// Sorted rows still running at `step`.
        func active(at step: Int) -> Int {
            var count = 0
            while count < order.count, lengths[order[count]] > step { count += 1 }
            return count
        }
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

    /// Runs every layer over `inputs` (total × inputSize, copied into the tape).
    func forward(_ inputs: UnsafePointer<Float>, tape: Tape, weights: [Weights], threads: Int, arena: TrainingArena) {
        let gatesWidth = 4 * hidden
        let total = tape.total, count = tape.lengths.count
        let first = arena.take(total * inputSize)
        first.pointer.update(from: inputs, count: total * inputSize)
        var layerInput = first
        let state = arena.take(count * hidden, zeroed: true), cell = arena.take(count * hidden, zeroed: true)
        let recurrent = arena.take(count * gatesWidth)
        for (layer, w) in weights.enumerated() {
            let inputs = layer == 0 ? inputSize : hidden
            let bias = arena.take(gatesWidth)
            for g in 0..<gatesWidth { bias[g] = w.inputBias[g] + w.recurrentBias[g] }
            let gates = arena.take(total * gatesWidth)
            let cells = arena.take(total * hidden)
            let outputs = arena.take(total * hidden)
            // The input projection of every step at once goes straight into the gate rows.
            LinearAlgebra.forward(layerInput.pointer, rows: total, weight: w.inputWeight, bias: bias.pointer, inputs: inputs,
                                  outputs: gatesWidth, into: gates.pointer, threads: threads, arena: arena)
            let packed = LinearAlgebra.packTransposed(w.recurrentWeight, depth: hidden, columns: gatesWidth, arena: arena)
            state.pointer.initialize(repeating: 0, count: count * hidden)
            cell.pointer.initialize(repeating: 0, count: count * hidden)
            let (statePointer, cellPointer, recurrentPointer) = (Shared(state.pointer), Shared(cell.pointer), Shared(recurrent.pointer))
            let (gatesPointer, cellsPointer, outputsPointer) = (Shared(gates.pointer), Shared(cells.pointer), Shared(outputs.pointer))
            for step in 0..<tape.maxLength {
                // Each worker takes a block of rows: its part of h·W_hhᵀ, then those rows' cells.
                Self.inRowBlocks(tape.active(at: step), threads: threads) { rows in
                    if step > 0 {
                        SGEMM.multiply(m: rows.count, a: statePointer.value + rows.lowerBound * hidden, lda: hidden, b: packed,
                                       c: recurrentPointer.value + rows.lowerBound * gatesWidth, ldc: gatesWidth)
                    }
                    for row in rows {
                        let timeRow = tape.starts[tape.order[row]] + step
                        Self.cellForward(recurrent: step > 0 ? UnsafePointer(recurrentPointer.value + row * gatesWidth) : nil,
                                         gates: gatesPointer.value + timeRow * gatesWidth, cell: cellPointer.value + row * hidden,
                                         state: statePointer.value + row * hidden, hidden: hidden)
                        (cellsPointer.value + timeRow * hidden).update(from: cellPointer.value + row * hidden, count: hidden)
                        (outputsPointer.value + timeRow * hidden).update(from: statePointer.value + row * hidden, count: hidden)
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
    func backward(_ topGradient: UnsafePointer<Float>, tape: Tape, weights: [Weights], threads: Int, arena: TrainingArena) -> FloatBuffer {
        let gatesWidth = 4 * hidden
        let total = tape.total, count = tape.lengths.count
        var outputGradient = arena.take(total * hidden)
        outputGradient.pointer.update(from: topGradient, count: total * hidden)
        let recurrentGradient = arena.take(count * hidden, zeroed: true)
        let cellGradient = arena.take(count * hidden, zeroed: true)
        let stepGates = arena.take(count * gatesWidth)
        for layer in stride(from: weights.count - 1, through: 0, by: -1) {
            let w = weights[layer]
            let inputs = layer == 0 ? inputSize : hidden
            let gates = tape.gates[layer], cells = tape.cells[layer], outputs = tape.outputs[layer]
            let gateGradient = arena.take(total * gatesWidth)
            let packed = LinearAlgebra.pack(w.recurrentWeight, depth: gatesWidth, columns: hidden, arena: arena)
            recurrentGradient.pointer.initialize(repeating: 0, count: count * hidden)
            cellGradient.pointer.initialize(repeating: 0, count: count * hidden)
            let (upPointer, backPointer, cellGradientPointer) = (Shared(outputGradient.pointer), Shared(recurrentGradient.pointer),
                                                                 Shared(cellGradient.pointer))
            let (stepPointer, allPointer) = (Shared(stepGates.pointer), Shared(gateGradient.pointer))
            let (gatesPointer, cellsPointer) = (Shared(gates.pointer), Shared(cells.pointer))
            for step in stride(from: tape.maxLength - 1, through: 0, by: -1) {
                // Each worker takes a block of rows: their cells backwards, then their part of dgates·W_hh.
                Self.inRowBlocks(tape.active(at: step), threads: threads) { rows in
                    for row in rows {
                        let timeRow = tape.starts[tape.order[row]] + step
                        Self.cellBackward(
                            outputGradient: upPointer.value + timeRow * hidden, recurrent: backPointer.value + row * hidden,
                            gates: gatesPointer.value + timeRow * gatesWidth, cell: cellsPointer.value + timeRow * hidden,
                            previousCell: step > 0 ? UnsafePointer(cellsPointer.value + (timeRow - 1) * hidden) : nil,
                            cellGradient: cellGradientPointer.value + row * hidden, gateGradient: stepPointer.value + row * gatesWidth,
                            hidden: hidden)
                        (allPointer.value + timeRow * gatesWidth).update(from: stepPointer.value + row * gatesWidth, count: gatesWidth)
                    }
                    if step > 0 {
                        SGEMM.multiply(m: rows.count, a: stepPointer.value + rows.lowerBound * gatesWidth, lda: gatesWidth, b: packed,
                                       c: backPointer.value + rows.lowerBound * hidden, ldc: hidden)
                    }
                }
            }
            // h_{t-1} of every row (zeros at t = 0), for dW_hh.
            let previous = arena.take(total * hidden, zeroed: true)
            for s in tape.lengths.indices where tape.lengths[s] > 1 {
                let start = tape.starts[s]
                (previous.pointer + (start + 1) * hidden).update(from: outputs.pointer + start * hidden, count: (tape.lengths[s] - 1) * hidden)
            }
            let transposed = arena.take(gatesWidth * total)
            LinearAlgebra.transpose(gateGradient.pointer, rows: total, columns: gatesWidth, into: transposed.pointer)
            LinearAlgebra.weightGradient(transposed: transposed.pointer, x: previous.pointer, rows: total, inputs: hidden,
                                         outputs: gatesWidth, weight: w.recurrentGradient, threads: threads, arena: arena)
            LinearAlgebra.weightGradient(transposed: transposed.pointer, x: tape.inputs[layer].pointer, rows: total,
                                         inputs: inputs, outputs: gatesWidth, weight: w.inputGradient, threads: threads, arena: arena)
            LinearAlgebra.columnSums(gateGradient.pointer, rows: total, columns: gatesWidth, into: w.inputBiasGradient)
            w.recurrentBiasGradient.update(from: w.inputBiasGradient, count: gatesWidth)
            let below = arena.take(total * inputs)
            LinearAlgebra.inputGradient(gateGradient.pointer, rows: total, weight: w.inputWeight, inputs: inputs,
                                        outputs: gatesWidth, into: below.pointer, threads: threads, arena: arena)
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
        let tiles = (count + 5) / 6
        let blocks = min(threads, tiles)
        guard blocks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let shared = SharedBody(body)
            DispatchQueue.concurrentPerform(iterations: blocks) { block in
                let first = tiles * block / blocks * 6, last = min(count, tiles * (block + 1) / blocks * 6)
                if first < last { shared.body(first..<last) }
            }
        }
    }

    struct SharedBody: @unchecked Sendable {
        let body: (Range<Int>) -> Void
        init(_ body: @escaping (Range<Int>) -> Void) { self.body = body }
    }

    /// Adds the recurrent part to the gate rows (which hold the input projection), activates
    /// them in place (σ, σ, tanh, σ), and steps the cell and hidden state.
    @inline(__always)
    static func cellForward(recurrent: UnsafePointer<Float>?, gates: UnsafeMutablePointer<Float>,
                            cell: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, hidden: Int) {
        let g = UnsafeMutableRawPointer(gates), c = UnsafeMutableRawPointer(cell), h = UnsafeMutableRawPointer(state)
        let r = recurrent.map { UnsafeRawPointer($0) }
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
            let newCell = forgetGate * Lanes.load(c, floatOffset: unit, count: lanes) + inputGate * candidate
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
