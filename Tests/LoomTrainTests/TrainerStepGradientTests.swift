import Foundation
import LoomCore
import LoomInference
@testable import LoomTrain
import Testing

/// One whole `Trainer.step` against finite differences of the loss it reports: the general
/// triplet loss, the spread-out term and the type-aware triplet loss combined with their shares,
/// back through every head tensor (the per-loss tests check each part alone, not how they add up).
@Suite struct TrainerStepGradientTests {
    @Test func aTypeAwareStepWithSpreadFollowsItsLoss() throws {
        let data = try TrainerTests.data()
        var (config, weights) = try LoomNet.source(directory: SampleWork.startModel)
        config.text.pooling = .mean
        config.types = Array(Set(data.types)).sorted()
        let parameters = try HeadParameters(config: config, source: try TrainStage.withTypePairs(config, over: weights, whoseTypesAre: nil))
        // Pair weights away from all-ones (each row keeps mean 1), so their gradient matters.
        var random = SeededRandom(seed: 17)
        let pairs = parameters[TypePairWeights.tensorName]
        let dim = config.embeddingDim
        for row in 0..<pairs.shape[0] {
            let drawn = (0..<dim).map { _ in Float(0.5 + random.unit()) }
            let mean = drawn.reduce(0, +) / Float(dim)
            for i in 0..<dim { pairs.value[row * dim + i] = drawn[i] / mean }
        }
        var settings = TrainSettings.defaults
        (settings.dropout, settings.spread, settings.learningRate, settings.clipNorm, settings.batch) = (0, 1, 0, 0, 64)
        let trainer = Trainer(data: data, parameters: parameters, settings: settings, seed: 5, threads: 2)
        let batch = trainer.epochTriplets(0).prefix(64)
        let start = parameters.tensors.map(\.values)
        func restore() {
            for (tensor, values) in zip(parameters.tensors, start) { tensor.value.pointer.update(from: values, count: values.count) }
        }
        restore()
        parameters.zeroGradients()
        _ = trainer.step(batch, key: "gradient check")
        let analytic = parameters.tensors.map { $0.gradient.array }
        var checked = 0
        for (index, tensor) in parameters.tensors.enumerated() {
            // The three largest gradients of each tensor (the token embedding: of its touched rows).
            let candidates = analytic[index].indices.sorted { abs(analytic[index][$0]) > abs(analytic[index][$1]) }.prefix(3)
            for i in candidates where abs(analytic[index][i]) > 1e-4 {
                let h = max(Float(1e-3), abs(start[index][i]) * 1e-2)
                // The loss a step reports is computed before its update: restore, nudge, step.
                func shifted(_ delta: Float) -> Double {
                    restore()
                    tensor.value[i] = start[index][i] + delta
                    return trainer.step(batch, key: "gradient check").loss
                }
                let numeric = (shifted(h) - shifted(-h)) / Double(2 * h)
                let exact = Double(analytic[index][i])
                #expect(abs(numeric - exact) <= 0.05 * abs(exact) + 2e-5, "\(tensor.name)[\(i)]: finite difference \(numeric), gradient \(exact)")
                checked += 1
            }
        }
        #expect(checked >= 3 * (parameters.tensors.count - 2), "most tensors have gradients to check (\(checked))")
    }
}
