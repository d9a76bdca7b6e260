import Foundation
import LoomCore
import LoomInference
@testable import LoomTrain
import Testing

/// Adam's update, eight values at a time, against the scalar update written out one value at a
/// time in the same Float operations: the same bits, on tensors whose sizes are not multiples of
/// eight (short last groups), with clipping on, over sparse embedding rows 13 wide (a group of
/// eight and a short one), at 1 and 2 threads — on two, a dense tensor (visual.proj, 1,280 × 105)
/// and the embedding's 1,050 live rows are each split between the threads.
@Suite struct AdamOptimizerTests {
    @Test(arguments: [1, 2])
    func updatesGiveTheScalarUpdatesBits(threads: Int) throws {
        var config = try LoomNetConfig.load(path: SampleWork.startModel + "/config.json")
        (config.embeddingDim, config.fusionHidden, config.text.embeddingDim, config.text.lstmHidden, config.text.vocabSize) = (105, 21, 13, 7, 1200)
        let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: 4), origin: "test"))
        let (learningRate, maxNorm): (Float, Float) = (1e-2, 0.5)
        let adam = AdamOptimizer(parameters: parameters, learningRate: learningRate, maxGradientNorm: maxNorm)
        adam.threads = threads
        var values = parameters.tensors.map(\.values)
        var first = values.map { [Float](repeating: 0, count: $0.count) }, second = first
        var random = SeededRandom(seed: 9)
        var clipped = 0
        for step in 1...3 {
            parameters.zeroGradients()
            for tensor in parameters.tensors {
                if tensor.touchedRows != nil {
                    let width = tensor.shape[1]
                    tensor.touchedRows = (0..<1200).filter { ($0 + step) % 8 != 0 }.prefix(1050).map { $0 }
                    for row in tensor.touchedRows! { for i in 0..<width { tensor.gradient[row * width + i] = Float(random.unit() * 2 - 1) } }
                } else {
                    for i in 0..<tensor.count { tensor.gradient[i] = Float(random.unit() * 2 - 1) }
                }
            }
            let norm = AdamOptimizer.gradientNorm(parameters)
            let clip: Float = norm > Double(maxNorm) ? Float(Double(maxNorm) / (norm + 1e-6)) : 1
            if clip < 1 { clipped += 1 }
            let (beta1, beta2, epsilon): (Float, Float, Float) = (0.9, 0.999, 1e-8)
            let correction1 = 1 - Float(pow(Double(beta1), Double(step))), correction2 = 1 - Float(pow(Double(beta2), Double(step)))
            let (stepSize, rootCorrection2) = (learningRate / correction1, correction2.squareRoot())
            for (index, tensor) in parameters.tensors.enumerated() {
                // A sparse row that never had a gradient keeps zero moments and does not move (value − 0):
                // updating every value here gives dense Adam's result, which is the sparse one.
                for i in 0..<tensor.count {
                    let g = tensor.gradient[i] * clip
                    first[index][i] = beta1 * first[index][i] + (1 - beta1) * g
                    second[index][i] = beta2 * second[index][i] + (1 - beta2) * g * g
                    values[index][i] -= stepSize * first[index][i] / (second[index][i].squareRoot() / rootCorrection2 + epsilon)
                }
            }
            adam.update(parameters)
            for (index, tensor) in parameters.tensors.enumerated() {
                let mismatch = tensor.values.indices.first { tensor.value[$0].bitPattern != values[index][$0].bitPattern }
                #expect(mismatch == nil, "step \(step): \(tensor.name)[\(mismatch ?? 0)] of \(tensor.count): \(tensor.value[mismatch ?? 0]), scalar \(values[index][mismatch ?? 0])")
            }
        }
        #expect(clipped == 3, "every step clipped")
        #expect(parameters.tensors.contains { $0.count % 8 != 0 }, "some tensor ends in a short group")
        #expect(parameters.tensors.contains { $0.touchedRows == nil && $0.count >= 2 * 65_536 }, "a dense tensor large enough to split")
    }

    /// The clipping norm: every dense gradient and the embedding's touched rows only (an untouched
    /// row's values left out), against one running sum in Double — equal to rounding, and the
    /// same bits on every call.
    @Test func gradientNormIsTheNormOfEveryGradientThatCounts() throws {
        var config = try LoomNetConfig.load(path: SampleWork.startModel + "/config.json")
        (config.embeddingDim, config.fusionHidden, config.text.embeddingDim, config.text.lstmHidden, config.text.vocabSize) = (13, 21, 5, 7, 50)
        let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: 4), origin: "test"))
        var random = SeededRandom(seed: 12)
        var expected: Double = 0
        for tensor in parameters.tensors {
            for i in 0..<tensor.count { tensor.gradient[i] = Float(random.unit() * 4 - 2) }
            if tensor.touchedRows != nil {
                let width = tensor.shape[1]
                tensor.touchedRows = [2, 9, 31]
                for row in tensor.touchedRows! {
                    for i in 0..<width { expected += Double(tensor.gradient[row * width + i]) * Double(tensor.gradient[row * width + i]) }
                }
            } else {
                for i in 0..<tensor.count { expected += Double(tensor.gradient[i]) * Double(tensor.gradient[i]) }
            }
        }
        let norm = AdamOptimizer.gradientNorm(parameters)
        #expect(abs(norm - expected.squareRoot()) <= 1e-12 * norm, "norm \(norm), running sum \((expected.squareRoot()))")
        #expect(AdamOptimizer.gradientNorm(parameters).bitPattern == norm.bitPattern)
    }
}
