import Foundation
import LoomCore
import LoomInference
import LoomKernels
import LoomTestSupport
import Testing

/// The batched LSTM against a step-by-step PyTorch-semantics LSTM in Double, on odd sizes and
/// ragged batches (lengths 0, 1, 3, 17 in one batch).
@Suite struct TextLSTMTests {
    struct Weights {
        var ih: [Float], hh: [Float], biasIH: [Float], biasHH: [Float]
    }

    /// One sequence through the stack: gates i, f, g, o; returns the top layer's last h.
    static func naive(_ sequence: [[Double]], layers: [Weights], hidden: Int) -> [Double] {
        var inputs = sequence
        var last = [Double](repeating: 0, count: hidden)
        for layer in layers {
            var h = [Double](repeating: 0, count: hidden), c = h
            var outputs: [[Double]] = []
            for x in inputs {
                var gates = [Double](repeating: 0, count: 4 * hidden)
                for g in 0..<(4 * hidden) {
                    var sum = Double(layer.biasIH[g]) + Double(layer.biasHH[g])
                    for (j, value) in x.enumerated() { sum += Double(layer.ih[g * x.count + j]) * value }
                    for j in 0..<hidden { sum += Double(layer.hh[g * hidden + j]) * h[j] }
                    gates[g] = sum
                }
                func sigmoid(_ v: Double) -> Double { 1 / (1 + exp(-v)) }
                for u in 0..<hidden {
                    c[u] = sigmoid(gates[hidden + u]) * c[u] + sigmoid(gates[u]) * tanh(gates[2 * hidden + u])
                    h[u] = sigmoid(gates[3 * hidden + u]) * tanh(c[u])
                }
                outputs.append(h)
            }
            inputs = outputs
            last = outputs.last ?? [Double](repeating: 0, count: hidden)
        }
        return last
    }

    @Test(arguments: [1, 3, 17, 24])
    func batchedLSTMMatchesTheStepByStepOne(hidden: Int) throws {
        let temporary = TemporaryDirectory("lstm")
        var random = SeededRandom(seed: UInt64(hidden))
        let inputSize = 5
        var layers: [Weights] = []
        var tensors: [SafetensorsWriter.Tensor] = []
        for n in 0..<2 {
            let width = n == 0 ? inputSize : hidden
            let weights = Weights(ih: random.floats(4 * hidden * width), hh: random.floats(4 * hidden * hidden),
                                  biasIH: random.floats(4 * hidden), biasHH: random.floats(4 * hidden))
            layers.append(weights)
            tensors += [
                .init(name: "lstm.weight_ih_l\(n)", shape: [4 * hidden, width], values: weights.ih),
                .init(name: "lstm.weight_hh_l\(n)", shape: [4 * hidden, hidden], values: weights.hh),
                .init(name: "lstm.bias_ih_l\(n)", shape: [4 * hidden], values: weights.biasIH),
                .init(name: "lstm.bias_hh_l\(n)", shape: [4 * hidden], values: weights.biasHH),
            ]
        }
        let path = temporary.file("lstm.safetensors")
        try SafetensorsWriter.write(tensors, to: path)
        let lstm = try TextLSTM(SafetensorsFile(path: path), prefix: "lstm.", inputSize: inputSize, hidden: hidden, layers: 2)

        let lengths = [3, 0, 17, 1, 3]
        let steps = random.floats(lengths.reduce(0, +) * inputSize).map { $0 * 2 }
        let output = FloatBuffer(count: lengths.count * hidden)
        steps.withUnsafeBufferPointer { lstm.pooledHidden(inputs: $0.baseAddress!, lengths: lengths, into: output.pointer) }

        var start = 0
        for (s, length) in lengths.enumerated() {
            let sequence = (0..<length).map { t in (0..<inputSize).map { Double(steps[(start + t) * inputSize + $0]) } }
            start += length
            let expected = Self.naive(sequence, layers: layers, hidden: hidden)
            let actual = Array(output.array[(s * hidden)..<((s + 1) * hidden)])
            let error = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
            #expect(error < 1e-5, "hidden \(hidden), sequence \(s) of length \(length): max error \(error)")
        }

        // A sequence's result does not depend on its batch-mates.
        let alone = FloatBuffer(count: hidden)
        let third = Array(steps[(3 * inputSize)..<(20 * inputSize)])
        third.withUnsafeBufferPointer { lstm.pooledHidden(inputs: $0.baseAddress!, lengths: [17], into: alone.pointer) }
        #expect(alone.array == Array(output.array[(2 * hidden)..<(3 * hidden)]))
    }

    @Test func aMissingLayerTensorIsNamed() throws {
        let temporary = TemporaryDirectory("lstm")
        let path = temporary.file("lstm.safetensors")
        try SafetensorsWriter.write([.init(name: "lstm.weight_ih_l0", shape: [32, 5], values: .init(repeating: 0, count: 160))], to: path)
        #expect(throws: LoomError.self) {
            _ = try TextLSTM(SafetensorsFile(path: path), prefix: "lstm.", inputSize: 5, hidden: 8, layers: 1)
        }
        do {
            _ = try TextLSTM(SafetensorsFile(path: path), prefix: "lstm.", inputSize: 5, hidden: 8, layers: 1)
        } catch {
            #expect(String(describing: error).contains("lstm.weight_hh_l0"))
        }
    }
}
