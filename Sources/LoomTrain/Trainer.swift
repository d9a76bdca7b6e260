import Foundation
import LoomCore
import LoomFormats
import LoomInference
import LoomKernels

/// The training loop: epochs of shuffled training positives (each with its negatives, so a
/// batch embeds each anchor and positive once for all of its triplets), one Adam step per batch,
/// validation AUC after each epoch, the best epoch's weights kept.
///
/// Deterministic: the shuffle of epoch e is drawn from (seed, e); every sum runs in a fixed
/// order; the matrix products give the same bits at any thread count.
public final class Trainer: @unchecked Sendable {
    public struct Epoch: Codable, Sendable, Equatable {
        public var epoch: Int
        public var loss: Double
        public var validAUC: Double
        public var triplets: Int
        public var steps: Int
        enum CodingKeys: String, CodingKey { case epoch, loss, triplets, steps, validAUC = "valid_auc" }
    }

    /// Where training stands after an epoch; what a checkpoint restores.
    public struct State: Codable, Sendable, Equatable {
        public var completedEpochs = 0
        public var bestEpoch = 0
        public var bestAUC = -1.0
        public var epochsSinceBest = 0
        public var history: [Epoch] = []
        public var stopped = false
        /// `infonce`: log τ and its Adam moments (nil until the first step).
        public var logTemperature: Double?
        public var temperatureMoments: [Double]?
        enum CodingKeys: String, CodingKey {
            case history, stopped
            case logTemperature = "log_temperature", temperatureMoments = "temperature_moments"
            case completedEpochs = "completed_epochs", bestEpoch = "best_epoch", bestAUC = "best_auc"
            case epochsSinceBest = "epochs_since_best"
        }
    }

    public let data: TrainingData
    public let settings: TrainSettings
    public let seed: UInt64
    public let network: HeadsTraining
    public let optimizer: AdamOptimizer
    public var state = State()
    /// The weights of the best epoch so far (validation AUC).
    public var best: [[Float]]
    /// With type-aware scores: each item's index in the config's `types`, −1 for a type it does
    /// not know (empty without them).
    let typeIndex: [Int]

    public init(data: TrainingData, parameters: HeadParameters, settings: TrainSettings, seed: UInt64, threads: Int) {
        self.data = data
        self.settings = settings
        self.seed = seed
        network = HeadsTraining(parameters: parameters, threads: threads)
        optimizer = AdamOptimizer(parameters: parameters, learningRate: Float(settings.learningRate), maxGradientNorm: Float(settings.clipNorm))
        optimizer.threads = max(1, threads)
        best = parameters.snapshot()
        if let types = parameters.config.types {
            let position = Dictionary(uniqueKeysWithValues: types.enumerated().map { ($1, $0) })
            typeIndex = data.types.map { position[$0] ?? -1 }   // a type the model has not seen: plain cosine
        } else {
            typeIndex = []
        }
    }

    public var parameters: HeadParameters { network.parameters }
    public var finished: Bool { state.stopped || state.completedEpochs >= settings.epochs }

    /// Triplets in an epoch: each training positive with each of its negatives, or about
    /// `max_triplets_per_epoch` of them when that is smaller.
    public var tripletsPerEpoch: Int {
        let all = (data.positives[.train] ?? []).reduce(0) { $0 + $1.negatives.count }
        return settings.maxTripletsPerEpoch > 0 ? min(all, epochTriplets(1).count) : all
    }

    /// The triplets of epoch `epoch` (1-based) in batch order: the training positives shuffled
    /// by (seed, epoch), each with its negatives, up to `max_triplets_per_epoch`.
    public func epochTriplets(_ epoch: Int) -> [(anchor: Int, positive: Int, negative: Int, weight: Float)] {
        var order = Array((data.positives[.train] ?? []).indices)
        var random = SeededRandom(seed: seed, key: "train-epoch:\(epoch)")
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                order.swapAt(i, Int(random.unit() * Double(i + 1)))
            }
        }
        let positives = data.positives[.train] ?? []
        if settings.maxTripletsPerEpoch > 0 {
            var kept = 0, taken = 0
            while taken < order.count, taken == 0 || kept + positives[order[taken]].negatives.count <= settings.maxTripletsPerEpoch {
                kept += positives[order[taken]].negatives.count
                taken += 1
            }
            order.removeSubrange(taken...)
        }
        return order.flatMap { index in
            positives[index].negatives.map { (anchor: positives[index].anchor, positive: positives[index].positive, negative: $0,
                                              weight: positives[index].weight) }
        }
    }

    /// One optimiser step over `batch`; returns (Σ weight·hinge / Σ weight, Σ weight).
    @discardableResult
    public func step(_ batch: ArraySlice<(anchor: Int, positive: Int, negative: Int, weight: Float)>, key: String) -> (loss: Double, weight: Double) {
        var rows: [Int: Int] = [:]
        var items: [Int] = []
        func row(_ item: Int) -> Int {
            if let known = rows[item] { return known }
            rows[item] = items.count
            items.append(item)
            return items.count - 1
        }
        let triplets = batch.map {
            TripletLoss.Triplet(anchor: row($0.anchor), positive: row($0.positive), negative: row($0.negative), weight: $0.weight)
        }
        let dropout = settings.dropout > 0 ? Dropout(rate: Float(settings.dropout), seed: seed, key: key) : nil
        let pass = network.forward(items.map(data.item), dropout: dropout)
        let dim = parameters.config.embeddingDim
        let gradient = FloatBuffer(count: items.count * dim, zeroed: false)
        // With type-aware scores the loss is the mean of the general one (the plain cosine space
        // the index serves, with its spread-out term) and the triplet loss on the type-pair scores.
        let typePairs = parameters.config.types.map { (count: $0.count, tensor: parameters[TypePairWeights.tensorName]) }
        let share: Double = typePairs == nil ? 1 : 0.5
        var loss: Double
        switch settings.loss {
        case .triplet:
            loss = TripletLoss.evaluate(triplets, embeddings: pass.embeddings.pointer, rows: items.count, dim: dim,
                                        margin: Float(settings.margin), gradient: gradient.pointer)
        case .infonce:
            let t = state.logTemperature ?? log(settings.temperature)
            let result = InfoNCELoss.evaluate(Self.pairs(triplets), embeddings: pass.embeddings.pointer, rows: items.count, dim: dim,
                                              logTemperature: t, gradient: gradient.pointer)
            loss = result.loss
            updateTemperature(t, gradient: share * result.temperatureGradient)
        }
        if settings.spread > 0 {
            loss += settings.spread * SpreadOutRegularizer.evaluate(triplets, embeddings: pass.embeddings.pointer, dim: dim,
                                                                    weight: settings.spread, gradient: gradient.pointer)
        }
        var weightGradient: [Float] = []
        if let typePairs {
            precondition(items.allSatisfy { typeIndex[$0] >= 0 }, "training items must have one of the model's types")
            for i in 0..<gradient.count { gradient[i] *= Float(share) }
            weightGradient = [Float](repeating: 0, count: typePairs.tensor.count)
            let typed = weightGradient.withUnsafeMutableBufferPointer {
                TypedTripletLoss.evaluate(triplets, embeddings: pass.embeddings.pointer, types: items.map { typeIndex[$0] },
                                          typeCount: typePairs.count, dim: dim, margin: Float(settings.margin),
                                          weights: typePairs.tensor.value.pointer, share: Float(share), gradient: gradient.pointer,
                                          weightGradient: $0.baseAddress!)
            }
            loss = share * (loss + typed)
        }
        network.backward(pass, gradient: gradient.pointer)
        if let typePairs { typePairs.tensor.gradient.pointer.update(from: weightGradient, count: weightGradient.count) }
        optimizer.update(parameters)
        if let typePairs {
            TypedTripletLoss.project(typePairs.tensor.value.pointer, rows: typePairs.tensor.shape[0], dim: dim)
        }
        return (loss, triplets.reduce(0.0) { $0 + Double($1.weight) })
    }

    /// How the model scores a pair of items from their unit vectors: the type-pair score when it
    /// has type-pair weights, else the cosine. `vectors` holds the rows of `items` (nil: every
    /// item, in order); the scorer takes row positions.
    public func scorer(_ vectors: [Float], items: [Int]? = nil) -> (Int, Int) -> Double {
        let dim = parameters.config.embeddingDim
        guard let types = parameters.config.types else { return Scorers.cosine(vectors, dim: dim) }
        let weights = parameters[TypePairWeights.tensorName].values
        return Scorers.typePairs(vectors, dim: dim, types: items.map { $0.map { typeIndex[$0] } } ?? typeIndex,
                                 typeCount: types.count, weights: weights)
    }

    /// The batch's triplets grouped into training pairs, each with its negatives, in order.
    static func pairs(_ triplets: [TripletLoss.Triplet]) -> [InfoNCELoss.Pair] {
        var pairs: [InfoNCELoss.Pair] = []
        var slot: [[Int]: Int] = [:]
        for triplet in triplets {
            let key = [triplet.anchor, triplet.positive]
            if let index = slot[key] {
                pairs[index].negatives.append(triplet.negative)
            } else {
                slot[key] = pairs.count
                pairs.append(InfoNCELoss.Pair(anchor: triplet.anchor, positive: triplet.positive, negatives: [triplet.negative],
                                              weight: triplet.weight))
            }
        }
        return pairs
    }

    /// One Adam step of log τ (the optimiser's rate and betas), kept within `temperatureRange`.
    func updateTemperature(_ t: Double, gradient: Double) {
        var moments = state.temperatureMoments ?? [0, 0, 0]   // first, second, steps
        moments[2] += 1
        moments[0] = 0.9 * moments[0] + 0.1 * gradient
        moments[1] = 0.999 * moments[1] + 0.001 * gradient * gradient
        let first = moments[0] / (1 - pow(0.9, moments[2])), second = moments[1] / (1 - pow(0.999, moments[2]))
        let next = t - settings.learningRate * first / (second.squareRoot() + 1e-8)
        state.logTemperature = min(max(next, InfoNCELoss.temperatureRange.lowerBound), InfoNCELoss.temperatureRange.upperBound)
        state.temperatureMoments = moments
    }

    /// Runs the next epoch and updates the state (best weights, early stopping).
    @discardableResult
    public func runEpoch(onBatch: (Int, Int) -> Void = { _, _ in }) -> Epoch {
        let epoch = state.completedEpochs + 1
        let triplets = epochTriplets(epoch)
        var lossSum = 0.0, weightSum = 0.0, steps = 0
        var start = 0
        while start < triplets.count {
            let end = min(start + settings.batch, triplets.count)
            let (loss, weight) = step(triplets[start..<end], key: "epoch \(epoch) step \(steps)")
            lossSum += loss * weight
            weightSum += weight
            steps += 1
            onBatch(end, triplets.count)
            start = end
        }
        let auc = validationAUC()
        let record = Epoch(epoch: epoch, loss: weightSum > 0 ? lossSum / weightSum : 0, validAUC: auc, triplets: triplets.count, steps: steps)
        state.history.append(record)
        state.completedEpochs = epoch
        if auc > state.bestAUC {
            state.bestAUC = auc
            state.bestEpoch = epoch
            state.epochsSinceBest = 0
            best = parameters.snapshot()
        } else {
            state.epochsSinceBest += 1
            if settings.patience > 0, state.epochsSinceBest >= settings.patience { state.stopped = true }
        }
        return record
    }

    /// Unit embeddings of `items` with the current weights (`items.count` rows).
    public func embeddings(of items: [Int]) -> [Float] {
        let dim = parameters.config.embeddingDim
        var rows: [Float] = []
        rows.reserveCapacity(items.count * dim)
        for start in stride(from: 0, to: items.count, by: 256) {
            let chunk = items[start..<min(start + 256, items.count)]
            let pass = network.forward(chunk.map(data.item))
            rows += UnsafeBufferPointer(start: pass.embeddings.pointer, count: chunk.count * dim)
        }
        return rows
    }

    /// AUC on the validation pairs, embedding only the items they name.
    public func validationAUC() -> Double {
        let positives = data.positives[.valid] ?? []
        var needed = Set<Int>()
        for positive in positives {
            needed.insert(positive.anchor)
            needed.insert(positive.positive)
            needed.formUnion(positive.negatives)
        }
        let items = needed.sorted()
        let slot = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1, $0) })
        let score = scorer(embeddings(of: items), items: items)   // rows of the needed items only: scored by slot
        return RankingMetrics.auc(positives) { score(slot[$0]!, slot[$1]!) }
    }

    /// The metrics of the current weights on each of `splits`, ranking against every item
    /// (every item is embedded once for all of them).
    public func evaluate(splits: [ItemSplit.Part]) -> [RankingMetrics] {
        let score = scorer(embeddings(of: Array(0..<data.count)))
        return splits.map { RankingMetrics.compute(data, split: $0, score: score) }
    }
}
