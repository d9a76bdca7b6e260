import Foundation
import LoomCore
import LoomInference
import LoomTestSupport
import Testing
@testable import LoomTrain

/// The vectors training scores (HeadsTraining's forward pass) are the vectors `loom embed` serves
/// (LoomNet): for each text pooling, on SampleData's real features and titles.
@Suite struct ServedVectorsTests {
    @Test(arguments: [TextPooling.last, .mean])
    func trainingAndServingAgree(pooling: TextPooling) throws {
        let work = try SampleWork.directory()
        var (config, weights) = try LoomNet.source(directory: SampleWork.startModel)
        config.text.pooling = pooling
        let data = try TrainingData.load(work: work.path, config: config, modelDirectory: SampleWork.startModel)
        let items = Array(0..<min(40, data.count))
        #expect(Set(items.map { data.tokens[$0].count }).count > 3, "sequences of different lengths")

        let pass = HeadsTraining(parameters: try HeadParameters(config: config, source: weights)).forward(items.map(data.item))
        let served = try LoomNet(config: config, weights: weights)
            .forward(items.map { LoomNet.Input(visual: data.features(of: $0), tokens: data.tokens[$0]) }, threads: 2)
        let dim = config.embeddingDim
        var worst: Float = 0
        for (row, output) in served.enumerated() {
            for i in 0..<dim { worst = max(worst, abs(output.embedding[i] - pass.embeddings[row * dim + i])) }
        }
        #expect(worst < 1e-5, "\(pooling): largest difference \(worst)")

        // The pooling is what the vectors depend on: the other one gives other vectors.
        var other = config
        other.text.pooling = pooling == .last ? .mean : .last
        let otherPass = HeadsTraining(parameters: try HeadParameters(config: other, source: weights)).forward(items.map(data.item))
        let moved = (0..<(items.count * dim)).contains { abs(otherPass.embeddings[$0] - pass.embeddings[$0]) > 1e-3 }
        #expect(moved)
    }
}
