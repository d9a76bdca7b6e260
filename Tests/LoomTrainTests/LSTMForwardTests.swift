import LoomCore
import LoomKernels
import Testing
@testable import LoomTrain

/// LSTMTraining's forward pass computes the step-0 rows of sequences that all start with one
/// token once per layer (and the step-1 recurrent product once): the tape must hold the bits of
/// the pass that computes every row.
@Suite struct LSTMForwardTests {
    static let inputSize = 16, hidden = 20, layers = 2

    /// Two layers of random weights (the gradient buffers are there because `Weights` points at them).
    static func weights(_ random: inout SeededRandom) -> (buffers: [FloatBuffer], weights: [LSTMTraining.Weights]) {
        var buffers: [FloatBuffer] = []
        func buffer(_ count: Int) -> UnsafeMutablePointer<Float> {
            buffers.append(FloatBuffer(random.floats(count).map { $0 * 0.5 }))
            return buffers.last!.pointer
        }
        let weights = (0..<layers).map { layer in
            let inputs = layer == 0 ? inputSize : hidden, gates = 4 * hidden
            return LSTMTraining.Weights(
                inputWeight: buffer(gates * inputs), recurrentWeight: buffer(gates * hidden), inputBias: buffer(gates),
                recurrentBias: buffer(gates), inputGradient: buffer(gates * inputs), recurrentGradient: buffer(gates * hidden),
                inputBiasGradient: buffer(gates), recurrentBiasGradient: buffer(gates))
        }
        return (buffers, weights)
    }

    @Test(arguments: [1, 2])
    func sequencesStartingWithOneTokenGiveTheBitsOfTheFullPass(threads: Int) {
        var random = SeededRandom(seed: 21)
        let (buffers, weights) = Self.weights(&random)
        defer { withExtendedLifetime(buffers) {} }
        // 14 sequences of 1 to 7 tokens (some end after step 0), tokens 1...6; every one starts with token 0.
        let lengths = (0..<14).map { 1 + $0 % 7 }
        let tokens = lengths.map { length in [Int32(0)] + (1..<length).map { _ in Int32(random.int(in: 1...6)) } }
        let table = random.floats(7 * Self.inputSize)
        // The same inputs, but odd sequences start with token 7, a copy of token 0's row: no shared start.
        let copiedTable = table + Array(table[0..<Self.inputSize])
        let lstm = LSTMTraining(hidden: Self.hidden, inputSize: Self.inputSize, layers: Self.layers)

        func tape(table: [Float], startsAlike: Bool, firstToken: (Int) -> Int32) -> LSTMTraining.Tape {
            let tape = LSTMTraining.Tape(lengths: lengths)
            var index = [Int32](repeating: 0, count: tape.total)
            for (sequence, sequenceTokens) in tokens.enumerated() {
                for (step, token) in sequenceTokens.enumerated() {
                    index[tape.row(sequence, step: step)] = step == 0 ? firstToken(sequence) : token
                }
            }
            #expect(LSTMTraining.startsAlike(index, tape: tape) == startsAlike, "the shared-start path is (not) taken")
            lstm.forward(distinctInputs: FloatBuffer(table), inputIndex: index, tape: tape, weights: weights, threads: threads,
                         arena: TrainingArena())
            return tape
        }
        let shared = tape(table: table, startsAlike: true) { _ in 0 }
        let full = tape(table: copiedTable, startsAlike: false) { $0 % 2 == 1 ? 7 : 0 }
        // (The first differing index, not the arrays: a failure stays readable.)
        func firstDifference(_ a: FloatBuffer, _ b: FloatBuffer) -> Int? {
            (0..<max(a.count, b.count)).first { $0 >= a.count || $0 >= b.count || a[$0].bitPattern != b[$0].bitPattern }
        }
        for layer in 0..<Self.layers {
            #expect(firstDifference(shared.gates[layer], full.gates[layer]) == nil, "layer \(layer) gates")
            #expect(firstDifference(shared.cells[layer], full.cells[layer]) == nil, "layer \(layer) cells")
            #expect(firstDifference(shared.outputs[layer], full.outputs[layer]) == nil, "layer \(layer) outputs")
        }
        // Step 0's rows are one row repeated, and later rows differ from it (the test is not vacuous).
        let outputs = shared.outputs[Self.layers - 1].array, h = Self.hidden
        #expect((1..<lengths.count).allSatisfy { Array(outputs[($0 * h)..<($0 * h + h)]) == Array(outputs[0..<h]) })
        #expect(Array(outputs[(lengths.count * h)..<(lengths.count * h + h)]) != Array(outputs[0..<h]))
    }
}
