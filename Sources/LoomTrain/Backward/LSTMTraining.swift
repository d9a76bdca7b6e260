import CLoomKernels
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
        var inputs: [FloatBuffer] = []     // per layer: total × (inputSize | hidden); layer 0: distinct rows × inputSize
        /// For each row, its row among layer 0's distinct inputs.
        var inputIndex: [Int32] = []
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

        /// Rows of step 0, where h₋₁ = 0.
        var stepZeroRows: Int { active.first ?? 0 }

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

    /// Runs every layer. Layer 0's inputs come as `distinctInputs` (one row per distinct input: a
    /// token's embedding) and `inputIndex` (each of the tape's rows' distinct row): tokens repeat
    /// ([CLS], [SEP], a catalog's common words), so layer 0's input projection runs once per
    /// distinct row and is copied to the rest — the same bits, since a row's product does not
    /// depend on the other rows — and the backward pass sums gate gradients per distinct row
    /// before its two products over the inputs. Both are kept by the tape.
    func forward(distinctInputs: FloatBuffer, inputIndex: [Int32], tape: Tape, weights: [Weights], threads: Int, arena: TrainingArena) {
        precondition(inputIndex.count == tape.total, "one distinct row per tape row")
        let distinctCount = distinctInputs.count / max(1, inputSize)
        precondition(distinctCount * inputSize == distinctInputs.count && inputIndex.allSatisfy { $0 >= 0 && Int($0) < distinctCount },
                     "every row's distinct input exists")
        let gatesWidth = 4 * hidden
        let total = tape.total
        var layerInput = distinctInputs
        tape.inputIndex = inputIndex
        let recurrent = arena.take(max(1, tape.stepZeroRows) * gatesWidth)
        // Sequences that all start with one token ([CLS]) have one step-0 row repeated in every
        // layer (h₋₁ = 0): a layer's step-0 input projection (above layer 0) and its step-1
        // recurrent product are then computed for one row and copied — a row's product does not
        // depend on the other rows, so the same bits.
        let sameStart = Self.startsAlike(inputIndex, tape: tape)
        for (layer, w) in weights.enumerated() {
            let inputs = layer == 0 ? inputSize : hidden
            let bias = arena.take(gatesWidth)
            for g in 0..<gatesWidth { bias[g] = w.inputBias[g] + w.recurrentBias[g] }
            let gates = arena.take(total * gatesWidth), cells = arena.take(total * hidden), outputs = arena.take(total * hidden)
            // The input projection of every step at once goes straight into the gate rows (layer 0:
            // once per distinct input, then copied to its rows).
            let projected = layer == 0 ? arena.take(distinctCount * gatesWidth) : gates
            let repeated = layer > 0 && sameStart ? tape.stepZeroRows - 1 : 0   // step-0 rows copied, not computed
            LinearAlgebra.forward(layerInput.pointer + repeated * inputs, rows: (layer == 0 ? distinctCount : total) - repeated,
                                  weight: w.inputWeight, bias: bias.pointer, inputs: inputs, outputs: gatesWidth,
                                  into: projected.pointer + repeated * gatesWidth, threads: threads, arena: arena)
            Self.repeatRow(repeated, of: gates.pointer, width: gatesWidth, over: 0..<repeated)
            if layer == 0 {
                // Past the caches when larger than them: the cells read these rows back step by step.
                let (from, to) = (Shared(projected.pointer), Shared(gates.pointer))
                let stream: Int32 = total * gatesWidth * 4 > PackedMatrix.streamingBytes ? 1 : 0
                inputIndex.withUnsafeBufferPointer { index in
                    let indexAddress = Int(bitPattern: index.baseAddress)
                    WorkSplit.forEach(total, grain: 64, threads: threads, minimum: 1024) { rows in
                        loom_gather_rows(from.value, UnsafePointer<Int32>(bitPattern: indexAddress)! + rows.lowerBound, rows.count, gatesWidth,
                                         to.value + rows.lowerBound * gatesWidth, stream)
                    }
                }
                arena.release(projected)
            }
            let packed = LinearAlgebra.packTransposed(w.recurrentWeight, depth: hidden, columns: gatesWidth, arena: arena)
            let (recurrentRows, gateRows) = (Shared(recurrent.pointer), Shared(gates.pointer))
            let (cellRows, outputRows) = (Shared(cells.pointer), Shared(outputs.pointer))
            for step in 0..<tape.maxLength {
                let start = tape.stepStart[step], previous = step > 0 ? tape.stepStart[step - 1] : 0
                let sharedRecurrent = step == 1 && sameStart
                if sharedRecurrent {
                    SGEMM.multiply(m: 1, a: outputs.pointer + previous * hidden, lda: hidden, b: packed, c: recurrent.pointer, ldc: gatesWidth)
                    Self.repeatRow(0, of: recurrent.pointer, width: gatesWidth, over: 1..<tape.active[step])
                }
                // Each worker takes a block of rows: its part of h·W_hhᵀ, then those rows' cells.
                Self.inRowBlocks(tape.active[step], threads: threads) { rows in
                    if step > 0 && !sharedRecurrent {
                        SGEMM.multiply(m: rows.count, a: outputRows.value + (previous + rows.lowerBound) * hidden, lda: hidden, b: packed,
                                       c: recurrentRows.value + rows.lowerBound * gatesWidth, ldc: gatesWidth)
                    }
                    for r in rows {
                        LSTMCell.forward(
                            recurrent: step > 0 ? UnsafePointer(recurrentRows.value + r * gatesWidth) : nil,
                            gates: gateRows.value + (start + r) * gatesWidth,
                            previousCell: step > 0 ? UnsafePointer(cellRows.value + (previous + r) * hidden) : nil,
                            cell: cellRows.value + (start + r) * hidden, state: outputRows.value + (start + r) * hidden, hidden: hidden,
                            keepGates: true)
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

    /// Whether every sequence (more than one) starts with the same input: then `forward`
    /// computes step 0's rows (and step 1's recurrent product) once per layer.
    static func startsAlike(_ inputIndex: [Int32], tape: Tape) -> Bool {
        tape.stepZeroRows > 1 && inputIndex[..<tape.stepZeroRows].allSatisfy { $0 == inputIndex[0] }
    }

    /// Copies row `source` of `m` (rows `width` floats apart) over the rows `rows`.
    static func repeatRow(_ source: Int, of m: UnsafeMutablePointer<Float>, width: Int, over rows: Range<Int>) {
        for row in rows { (m + row * width).update(from: m + source * width, count: width) }
    }

    /// From dL/d(top outputs) (total × hidden) to every weight gradient (written over) and to
    /// dL/d(layer-0 distinct inputs), returned (distinct rows × inputSize: each the sum over the
    /// rows that share it).
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
                        LSTMCell.backward(
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
            previousOutputs.pointer.initialize(repeating: 0, count: tape.stepZeroRows * hidden)
            for step in 1..<max(1, tape.maxLength) {
                (previousOutputs.pointer + tape.stepStart[step] * hidden)
                    .update(from: outputs.pointer + tape.stepStart[step - 1] * hidden, count: tape.active[step] * hidden)
            }
            // Packed once for both weight gradients; the bias gradient (Σ over rows) in the same pass.
            let packedGradient = LinearAlgebra.pack(gateGradient.pointer, depth: total, columns: gatesWidth, ld: gateStride, arena: arena,
                                                     threads: threads, columnSums: w.inputBiasGradient)
            // The depth blocks that hold only step 0's rows (h_{-1} = 0) would add nothing but zeros
            // to sums that start at zero: left out, the same bits.
            // (Not when step 0 is every row: the product then still writes its zeros.)
            let stepZero = tape.stepZeroRows
            let zeroBlocks = total > stepZero ? stepZero / packedGradient.blockDepth : 0, skipped = zeroBlocks * packedGradient.blockDepth
            LinearAlgebra.transposedWeightGradient(x: previousOutputs.pointer + skipped * hidden, rows: total - skipped, inputs: hidden,
                                                   packedGradient: packedGradient.droppingLeadingBlocks(zeroBlocks),
                                                   weight: w.recurrentGradient, threads: threads, arena: arena)
            w.recurrentBiasGradient.update(from: w.inputBiasGradient, count: gatesWidth)
            // dW_ih and dX: layer 0's over its distinct inputs, each distinct row's gate gradient
            // the sum of its rows' (in row order), so the two products run on distinct rows only.
            var (rows, inputGateGradient, inputPacked) = (total, gateGradient, packedGradient)
            if layer == 0 {
                rows = tape.inputs[0].count / max(1, inputSize)
                inputGateGradient = arena.take(rows * gateStride)
                Self.sumRows(gateGradient.pointer, width: gatesWidth, stride: gateStride, index: tape.inputIndex,
                             into: inputGateGradient.pointer, distinct: rows, threads: threads)
                inputPacked = LinearAlgebra.pack(inputGateGradient.pointer, depth: rows, columns: gatesWidth, ld: gateStride, arena: arena,
                                                 threads: threads)
            }
            LinearAlgebra.transposedWeightGradient(x: tape.inputs[layer].pointer, rows: rows, inputs: inputs, packedGradient: inputPacked,
                                                   weight: w.inputGradient, threads: threads, arena: arena)
            let below = arena.take(rows * inputs)
            LinearAlgebra.inputGradient(inputGateGradient.pointer, rows: rows, ldy: gateStride, weight: w.inputWeight, inputs: inputs,
                                        outputs: gatesWidth, into: below.pointer, threads: threads, arena: arena)
            if layer == 0 { arena.release(inputGateGradient, inputPacked.storage) }
            // This layer's gate gradients and packed copies are spent: the layer below takes them over.
            arena.release(gateGradient, previousOutputs, packedGradient.storage, packed.storage)
            outputGradient = below
        }
        return outputGradient
    }

    /// `into` row u (`stride` apart) = the sum of the rows r of `m` with index[r] = u, `width`
    /// floats each, added in row order; every u has at least one row. The distinct rows are split
    /// over threads, each summed in the same order: the same bits at any thread count.
    static func sumRows(_ m: UnsafePointer<Float>, width: Int, stride: Int, index: [Int32], into sums: UnsafeMutablePointer<Float>,
                        distinct: Int, threads: Int) {
        // Rows grouped by distinct row, ascending inside each group (a counting sort).
        var start = [Int](repeating: 0, count: distinct + 1)
        for u in index { start[Int(u) + 1] += 1 }
        for u in 0..<distinct { start[u + 1] += start[u] }
        var next = start, order = [Int](repeating: 0, count: index.count)
        for (row, u) in index.enumerated() {
            order[next[Int(u)]] = row
            next[Int(u)] += 1
        }
        let (source, target) = (UnsafeRawPointer(m), Shared(sums))
        WorkSplit.forEach(distinct, threads: threads, minimum: 64) { part in
            for u in part {
                let out = UnsafeMutableRawPointer(target.value + u * stride)
                let group = order[start[u]..<start[u + 1]]
                precondition(!group.isEmpty, "distinct row \(u) has no rows")
                out.copyMemory(from: source + group.first! * stride * 4, byteCount: width * 4)
                for row in group.dropFirst() { LinearAlgebra.add(source + row * stride * 4, into: out, columns: 0..<width) }
            }
        }
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
}
