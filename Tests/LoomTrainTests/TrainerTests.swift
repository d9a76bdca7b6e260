import Foundation
import LoomCore
import LoomFormats
import LoomInference
import LoomTestSupport
import Testing
@testable import LoomTrain

/// The training loop on SampleData's real triplets (titles only, a slice of the training pairs):
/// the same seed gives the same weights at 1 and 2 threads, and a run resumed from a
/// checkpoint ends exactly where an uninterrupted one does.
@Suite struct TrainerTests {
    static func data() throws -> TrainingData {
        let work = try SampleWork.directory()
        let config = try LoomNetConfig.load(path: SampleWork.startModel + "/config.json")
        var data = try TrainingData.load(work: work.path, config: config, modelDirectory: SampleWork.startModel)
        data.positives[.train] = Array((data.positives[.train] ?? []).prefix(48))   // 192 triplets: 3 steps of 64
        return data
    }

    static func trainer(_ data: TrainingData, threads: Int, epochs: Int = 2, maxTriplets: Int = 0,
                        loss: TrainSettings.Loss = .triplet, spread: Double = TrainSettings.defaults.spread) throws -> Trainer {
        let (config, weights) = try LoomNet.source(directory: SampleWork.startModel)
        let parameters = try HeadParameters(config: config, source: weights)
        var settings = TrainSettings.defaults
        settings.epochs = epochs
        settings.batch = 64
        settings.patience = 0
        settings.maxTripletsPerEpoch = maxTriplets
        settings.loss = loss
        settings.spread = spread
        return Trainer(data: data, parameters: parameters, settings: settings, seed: 5, threads: threads)
    }

    @Test func sampleDataLoadsEverySplitWithFeaturesAndTokens() throws {
        let data = try Self.data()
        #expect(data.count >= 290)
        #expect(data.itemsWithImage >= 290, "every SampleData item has an image")
        #expect(data.visual.isEmpty, "the features stay in features.sqlite, read as batches need them")
        // What a batch reads is what features.sqlite holds for the item's image.
        let work = try SampleWork.directory()
        let features = try StageOutputReader.open(path: work.file("features.sqlite"))
        let imageOf = try FeaturesReader.imageHashes(features, ids: Int64.min...Int64.max)
        let stored = try FeaturesReader.visual(features, hashes: Array(Set(imageOf.values)))
        for index in [0, data.count / 2, data.count - 1] {
            #expect(data.features(of: index) == imageOf[data.ids[index]].flatMap { stored[$0] })
            #expect(data.features(of: index)?.count == 1280)
        }
        #expect(data.tokens.allSatisfy { !$0.isEmpty && $0.first == 101 }, "titles tokenised with [CLS] first")
        #expect(!(data.positives[.valid] ?? []).isEmpty && !(data.positives[.test] ?? []).isEmpty)
        #expect(!data.questions.isEmpty)
        for split in [ItemSplit.Part.valid, .test] {
            for positive in data.positives[split] ?? [] {
                #expect(data.splits[positive.anchor] == split && data.splits[positive.positive] == split)
            }
        }
    }

    /// A bounded epoch is a seeded sample of whole positives (each with all its negatives), a
    /// different one each epoch, never more triplets than the bound.
    @Test func maxTripletsPerEpochSamplesWholePositivesPerEpoch() throws {
        let data = try Self.data()
        let all = try Self.trainer(data, threads: 1).epochTriplets(1)
        let bounded = try Self.trainer(data, threads: 1, maxTriplets: 50)
        let first = bounded.epochTriplets(1), second = bounded.epochTriplets(2)
        #expect(all.count == 192 && first.count <= 50 && first.count >= 50 - 4 && bounded.tripletsPerEpoch == first.count)
        func pairs(_ triplets: [(anchor: Int, positive: Int, negative: Int, weight: Float)]) -> [[Int]] {
            triplets.map { [$0.anchor, $0.positive] }
        }
        #expect(pairs(first) != pairs(second), "another sample each epoch")
        #expect(Array(all.prefix(first.count)).map { [$0.anchor, $0.positive, $0.negative] } == first.map { [$0.anchor, $0.positive, $0.negative] },
                "the sample is the shuffled epoch's prefix of whole positives")
        #expect(try Self.trainer(data, threads: 1, maxTriplets: 50).epochTriplets(1).map(\.negative) == first.map(\.negative), "seeded")
    }

    @Test func weightsAreTheSameAtOneAndTwoThreads() throws {
        let data = try Self.data()
        let one = try Self.trainer(data, threads: 1, epochs: 1), two = try Self.trainer(data, threads: 2, epochs: 1)
        let a = one.runEpoch(), b = two.runEpoch()
        #expect(a == b)
        #expect(a.steps == 3 && a.triplets == 192)
        for (x, y) in zip(one.parameters.tensors, two.parameters.tensors) {
            #expect(x.values == y.values, "\(x.name) differs between 1 and 2 threads")
        }
    }

    @Test func lossFallsOnTheTrainingPairs() throws {
        let data = try Self.data()
        let trainer = try Self.trainer(data, threads: 2, epochs: 6)
        let epochs = (0..<6).map { _ in trainer.runEpoch() }
        #expect(epochs.last!.loss < 0.7 * epochs.first!.loss, "loss \(epochs.map(\.loss))")
    }

    @Test func resumedRunEndsWhereAnUninterruptedOneDoes() throws {
        let data = try Self.data()
        let whole = try Self.trainer(data, threads: 2)
        whole.runEpoch()
        whole.runEpoch()

        let work = TemporaryDirectory("loom-checkpoint")
        let path = work.file("checkpoint.safetensors")
        let first = try Self.trainer(data, threads: 2)
        first.runEpoch()
        try TrainingCheckpoint.write(first, fingerprint: "same inputs", to: path)

        let resumed = try Self.trainer(data, threads: 2)
        #expect(throws: LoomError.self) { try TrainingCheckpoint.restore(resumed, fingerprint: "other inputs", from: path) }
        try TrainingCheckpoint.restore(resumed, fingerprint: "same inputs", from: path)
        #expect(resumed.state.completedEpochs == 1)
        resumed.runEpoch()
        #expect(resumed.state == whole.state)
        for (x, y) in zip(whole.parameters.tensors, resumed.parameters.tensors) {
            #expect(x.values == y.values, "\(x.name) differs after resuming")
        }
        #expect(resumed.best == whole.best)

        // A damaged checkpoint is refused with the file named, not half-restored.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))
        let fresh = try Self.trainer(data, threads: 2)
        #expect(throws: LoomError.self) { try TrainingCheckpoint.restore(fresh, fingerprint: "same inputs", from: path) }
    }

    /// The in-batch softmax loss: falls, learns its temperature, gives the same weights at 1 and
    /// 2 threads, and a resumed run (temperature and its moments restored) ends where a whole one does.
    @Test func infoNCETrainsDeterministicallyAndResumes() throws {
        let data = try Self.data()
        // Without the spread-out term, whose value on 48 pairs moves against the softmax's early on.
        let one = try Self.trainer(data, threads: 1, epochs: 3, loss: .infonce, spread: 0)
        let epochs = (0..<3).map { _ in one.runEpoch() }
        #expect(epochs.last!.loss < epochs.first!.loss, "loss \(epochs.map(\.loss))")
        let temperature = try #require(one.state.logTemperature)
        #expect(temperature != log(TrainSettings.defaults.temperature), "the temperature is learned")
        let two = try Self.trainer(data, threads: 2, epochs: 3, loss: .infonce, spread: 0)
        for _ in 0..<3 { two.runEpoch() }
        #expect(two.state == one.state)
        for (x, y) in zip(one.parameters.tensors, two.parameters.tensors) { #expect(x.values == y.values, "\(x.name)") }

        let work = TemporaryDirectory("loom-infonce")
        let path = work.file("checkpoint.safetensors")
        let first = try Self.trainer(data, threads: 2, epochs: 3, loss: .infonce, spread: 0)
        first.runEpoch()
        try TrainingCheckpoint.write(first, fingerprint: "same", to: path)
        let resumed = try Self.trainer(data, threads: 2, epochs: 3, loss: .infonce, spread: 0)
        try TrainingCheckpoint.restore(resumed, fingerprint: "same", from: path)
        resumed.runEpoch()
        resumed.runEpoch()
        #expect(resumed.state == one.state)
        #expect(resumed.best == one.best)
    }
}
