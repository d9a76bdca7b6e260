import Foundation
import GRDB
import LoomCore
@testable import LoomEmbed
@testable import LoomIndex
import LoomInference
import LoomTestSupport
import Testing
@testable import LoomTrain

/// Type-aware scores (`TypePairWeights`): the loss's gradients, the weights' constraint, and the
/// weights' way from training through embed and index to a query.
@Suite struct TypeAwareTrainingTests {
    @Test func pairRowsAreSymmetricAndCoverEveryPairOnce() {
        for count in [1, 2, 3, 8] {
            var seen = Set<Int>()
            for a in 0..<count {
                for b in a..<count {
                    let row = TypePairWeights.row(a, b, types: count)
                    #expect(row == TypePairWeights.row(b, a, types: count))
                    #expect((0..<TypePairWeights.pairCount(count)).contains(row))
                    seen.insert(row)
                }
            }
            #expect(seen.count == TypePairWeights.pairCount(count), "\(count) types: every row used once")
        }
        let weights = TypePairWeights(types: ["bag", "shoes"], dim: 2, weights: [1, 2, 3, 4, 5, 6])
        #expect(weights.row("shoes", "bag") == [3, 4] && weights.row("bag", "shoes") == [3, 4] && weights.row("shoes", "shoes") == [5, 6])
        #expect(weights.row("bag", "hat") == nil)
    }

    @Test func lossGradientsMatchFiniteDifferences() {
        var random = SeededRandom(seed: 21)
        let rows = 5, dim = 4, typeCount = 3
        let types = [0, 2, 1, 2, 0]
        let embeddings = (0..<(rows * dim)).map { _ in Double(random.unit() * 2 - 1) }
        let weights = (0..<(TypePairWeights.pairCount(typeCount) * dim)).map { _ in 0.5 + Double(random.unit()) }
        let triplets: [TripletLoss.Triplet] = [
            .init(anchor: 0, positive: 1, negative: 2, weight: 1), .init(anchor: 1, positive: 3, negative: 4, weight: 0.5),
            .init(anchor: 2, positive: 4, negative: 0, weight: 2), .init(anchor: 3, positive: 0, negative: 1, weight: 1.5),
        ]
        let margin = 3.0   // every hinge active
        func reference(_ e: [Double], _ w: [Double]) -> Double {
            func score(_ a: Int, _ b: Int) -> Double {
                let row = TypePairWeights.row(types[a], types[b], types: typeCount) * dim
                return (0..<dim).reduce(0.0) { $0 + w[row + $1] * e[a * dim + $1] * e[b * dim + $1] }
            }
            let total = triplets.reduce(0.0) { $0 + Double($1.weight) }
            return triplets.reduce(0.0) { $0 + Double($1.weight) * max(0, margin - score($1.anchor, $1.positive) + score($1.anchor, $1.negative)) / total }
        }
        var gradient = [Float](repeating: 0, count: rows * dim)
        var weightGradient = [Float](repeating: 0, count: weights.count)
        let e = embeddings.map(Float.init), w = weights.map(Float.init)
        let loss = TypedTripletLoss.evaluate(triplets, embeddings: e, types: types, typeCount: typeCount, dim: dim, margin: Float(margin),
                                             weights: w, share: 0.5, gradient: &gradient, weightGradient: &weightGradient)
        #expect(abs(loss - reference(embeddings, weights)) < 1e-5)
        /// Half the central difference of the loss (its share is 0.5) along `nudge`.
        func halfDerivative(_ nudge: (inout [Double], inout [Double], Double) -> Void) -> Double {
            let h = 1e-6
            var (e1, w1, e2, w2) = (embeddings, weights, embeddings, weights)
            nudge(&e1, &w1, h)
            nudge(&e2, &w2, -h)
            return 0.5 * (reference(e1, w1) - reference(e2, w2)) / (2 * h)
        }
        for i in embeddings.indices {
            #expect(abs(halfDerivative { e, _, d in e[i] += d } - Double(gradient[i])) < 1e-4, "dL/de[\(i)]")
        }
        for i in weights.indices {
            #expect(abs(halfDerivative { _, w, d in w[i] += d } - Double(weightGradient[i])) < 1e-4, "dL/dw[\(i)]")
        }
        #expect(weightGradient.contains { $0 != 0 } && weightGradient.contains(0), "used rows get gradient, unused ones none")
    }

    @Test func projectionKeepsEachRowNonNegativeWithMeanOne() {
        var weights: [Float] = [2, -1, 3, 0, /* all negative: */ -1, -2, -3, -4, /* already fine: */ 1, 1, 1, 1]
        weights.withUnsafeMutableBufferPointer { TypedTripletLoss.project($0.baseAddress!, rows: 3, dim: 4) }
        #expect(weights == [1.6, 0, 2.4, 0, 1, 1, 1, 1, 1, 1, 1, 1])
    }

    /// A warm start over a catalog that gained a type keeps the rows of the pairs it knew.
    @Test func warmStartKeepsThePairsItKnows() throws {
        var config = try TrainingGradientTests.tinyConfig()
        config.types = ["bag", "dress", "shoes"]
        let old = TypePairWeights(types: ["bag", "shoes"], dim: 4, weights: (0..<12).map { Float($0) })
        let source = TensorSet([.init(name: TypePairWeights.tensorName, shape: [3, 4], values: old.weights)], origin: "test")
        let merged = try TrainStage.withTypePairs(config, over: source, whoseTypesAre: old.types)
        let weights = TypePairWeights(types: config.types!, dim: 4, weights: try merged.floats(TypePairWeights.tensorName, shape: [6, 4]))
        for (a, b) in [("bag", "bag"), ("bag", "shoes"), ("shoes", "shoes")] { #expect(weights.row(a, b) == old.row(a, b)) }
        for (a, b) in [("bag", "dress"), ("dress", "dress"), ("dress", "shoes")] { #expect(weights.row(a, b) == [1, 1, 1, 1]) }
        let fresh = try TrainStage.withTypePairs(config, over: TensorSet([], origin: "start"), whoseTypesAre: nil)
        #expect(try fresh.floats(TypePairWeights.tensorName, shape: [6, 4]) == [Float](repeating: 1, count: 24))
    }

    /// Trained with type-aware scores: the model directory carries the types and weights, embed
    /// and index copy them, and a query's vector for partners of a type is weighted by its row.
    @Test func weightsTravelFromTrainingToTheQuery() throws {
        let sample = try SampleWork.directory()
        let work = TemporaryDirectory("loom-type-aware")
        for name in ["catalog.sqlite", "features.sqlite", "text.sqlite", "triplets.sqlite"] {
            try FileManager.default.copyItem(atPath: sample.file(name), toPath: work.file(name))
        }
        var settings = TrainStageTests.settings(out: work.file("models/typed"))
        settings.typeAware = true
        settings.textPooling = .mean
        _ = try StageRunner(context: SampleWork.context(work.path)).run(TrainStage(), settings: settings)
        let network = try LoomNet(directory: work.file("models/typed"))
        let typePairs = try #require(network.typePairs)
        #expect(network.config.text.pooling == .mean)
        #expect(typePairs.types.count >= 7 && typePairs.types == typePairs.types.sorted())
        #expect(typePairs.weights.allSatisfy { $0 >= 0 } && typePairs.weights != [Float](repeating: 1, count: typePairs.weights.count),
                "trained away from the plain cosine, never negative")
        for row in 0..<TypePairWeights.pairCount(typePairs.types.count) {
            let mean = typePairs.weights[(row * 256)..<((row + 1) * 256)].reduce(0, +) / 256
            #expect(abs(mean - 1) < 1e-4, "pair row \(row) keeps mean 1")
        }

        _ = try StageRunner(context: SampleWork.context(work.path))
            .run(EmbedStage(), settings: EmbedSettings(model: work.file("models/typed"), batch: 32, maxRejectRatio: 0.05))
        _ = try StageRunner(context: StageContext(workDirectory: work.path, outDirectory: work.file("out"), threads: 2, showProgress: false))
            .run(IndexStage(), settings: .defaults)
        let index = try IndexFile(path: work.file("out/index.sqlite"))
        let stored = try DatabaseQueue(path: work.file("out/index.sqlite")).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM type_pairs") }
        #expect(stored == typePairs.types.count * typePairs.types.count, "both orders of every pair")
        let row = try #require(index.items.firstIndex { $0.type == "dress" })
        let weights = try #require(index.typePairWeights(query: "dress", partner: "shoes"))
        #expect(weights == Array(typePairs.row("dress", "shoes")!))
        let vector = index.matrix.vector(row: row)
        #expect(index.queryVector(row: row, partnerType: "shoes") == zip(vector, weights).map { $0 * $1 })
        #expect(index.queryVector(row: row, partnerType: nil) == vector)
    }
}
