import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// What training and evaluation read from the work directory, in memory: the items of the
/// triplet splits (type, split, pooled backbone features, token ids), the positive pairs with
/// their negatives by split, and the fill-in-the-blank questions.
public struct TrainingData: Sendable {
    public struct Positive: Sendable {
        public var anchor: Int
        public var positive: Int
        public var weight: Float
        public var negatives: [Int]
        public init(anchor: Int, positive: Int, weight: Float, negatives: [Int]) {
            self.anchor = anchor
            self.positive = positive
            self.weight = weight
            self.negatives = negatives
        }
    }

    public struct Question: Sendable {
        public var anchor: Int
        public var answer: Int
        public var candidates: [Int]
        public init(anchor: Int, answer: Int, candidates: [Int]) {
            self.anchor = anchor
            self.answer = answer
            self.candidates = candidates
        }
    }

    public init() {}

    public var ids: [Int64] = []
    public var asins: [String] = []
    public var types: [String] = []
    public var splits: [ItemSplit.Part] = []
    /// The items' backbone features when held in memory (tests build data so); a loaded
    /// work directory leaves them in features.sqlite (`visualStore`) and this stays empty.
    public var visual: [[Float]?] = []
    public var visualStore: VisualFeatureStore?
    public var tokens: [[Int32]] = []
    public var positives: [ItemSplit.Part: [Positive]] = [:]
    public var questions: [Question] = []
    /// Items whose stored image or ids could not be used, with the reason (the item stays, without that input).
    public var problems: [(asin: String, id: Int64, reason: RejectReason, detail: String)] = []
    /// Triplet rows and questions naming an item that is not in the splits (counted, not used).
    public var skippedTriplets = 0
    public var skippedQuestions = 0

    public var count: Int { ids.count }

    public func item(_ index: Int) -> HeadsTraining.Item { .init(visual: features(of: index), tokens: tokens[index]) }

    /// Item `index`'s backbone features, from memory or from features.sqlite.
    public func features(of index: Int) -> [Float]? {
        if let visualStore { return visualStore.features(of: index) }
        return visual[index]
    }

    public var itemsWithImage: Int { visualStore?.itemsWithImage ?? visual.count { $0 != nil } }

    /// Reads catalog, text and triplets from `work`, and where each item's features are in
    /// features.sqlite (the backbone ran in the features stage; the model's in `modelDirectory`,
    /// configured by `config`, must be the same). What stays in memory per item is its id, asin,
    /// type, split, token ids and a features rowid, about 200 bytes with 60 token ids; the
    /// features are read batch by batch.
    public static func load(work: String, config: LoomNetConfig, modelDirectory: String) throws -> TrainingData {
        func path(_ name: String) -> String { (work as NSString).appendingPathComponent(name) }
        try StageMeta.requireMadeFromCurrent([path(StageOutputFile.triplets.fileName), path(StageOutputFile.text.fileName)],
                                             upstream: StageOutputFile.catalog.stage, upstreamPath: path(StageOutputFile.catalog.fileName))
        let catalog = try StageOutputReader.open(path: path(StageOutputFile.catalog.fileName))
        let features = try StageOutputReader.open(path: path(StageOutputFile.features.fileName))
        let text = try StageOutputReader.open(path: path(StageOutputFile.text.fileName))
        let triplets = try StageOutputReader.open(path: path(StageOutputFile.triplets.fileName))
        defer { try? catalog.close(); try? text.close(); try? triplets.close() }   // features stays open for the store
        try ModelInput.checkBackbone(featuresPath: path(StageOutputFile.features.fileName), model: modelDirectory)
        let tokenization = try TokenizationMeta.read(path: path(StageOutputFile.text.fileName))
        try ModelInput.checkVocabulary(tokenization, textPath: path(StageOutputFile.text.fileName), model: modelDirectory, config: config)

        var data = TrainingData()
        let splitOf = try TripletsReader.splits(triplets)
        let typeOf = try CatalogReader.types(catalog)
        var index: [Int64: Int] = [:]
        let located = try VisualFeatureStore.locate(features, expectedCount: MobileNetV2.featureCount)
        var rows: [Int64?] = []
        // Stands in for an item's features while its inputs are checked (`ModelInput.prepare`
        // looks at their count only): one shared array, not a copy per item.
        let placeholder = [Float](repeating: 0, count: MobileNetV2.featureCount)
        var after = Int64.min
        while true {
            var chunk = try WorkItemReader.chunk(after: after, catalog: catalog, text: text, idWidth: tokenization.idWidth)
            guard let last = chunk.last else { break }
            after = last.id
            for slot in chunk.indices where located.rows[chunk[slot].id] != nil {
                chunk[slot].visual = placeholder
            }
            for item in chunk {
                guard let split = splitOf[item.id] else { continue }
                let slot = data.ids.count
                index[item.id] = slot
                data.ids.append(item.id)
                data.asins.append(item.asin)
                data.types.append(typeOf[item.id] ?? CoarseType.other.rawValue)
                data.splits.append(split)
                if let bytes = located.wrongSize[item.id] {
                    rows.append(nil)
                    data.tokens.append([])
                    data.problems.append((item.asin, item.id, ModelInput.badFeatures,
                                          "\(bytes) bytes of backbone features; the model takes \(MobileNetV2.featureCount) float32 values"))
                    continue
                }
                switch ModelInput.prepare(item, config: config) {
                case .input(let input):
                    rows.append(input.visual == nil ? nil : located.rows[item.id])
                    data.tokens.append(input.tokens)
                case .reject(let reason, let detail):
                    rows.append(nil)
                    data.tokens.append([])
                    data.problems.append((item.asin, item.id, reason, detail))
                }
            }
        }
        data.visualStore = VisualFeatureStore(database: features, rows: rows)
        try TripletsReader.forEachPair(triplets) { pair in
            guard let anchor = index[pair.anchor], let positive = index[pair.positive], let split = pair.split else {
                data.skippedTriplets += 1
                return
            }
            data.positives[split, default: []].append(
                Positive(anchor: anchor, positive: positive, weight: Float(pair.weight), negatives: pair.negatives.compactMap { index[$0] }))
        }
        try TripletsReader.forEachQuestion(triplets) { question in
            let candidates = question.candidates ?? []
            let slots = candidates.compactMap { index[$0] }
            guard let anchor = index[question.anchor], let answer = index[question.answer], slots.count == candidates.count,
                  slots.contains(answer) else {
                data.skippedQuestions += 1
                return
            }
            data.questions.append(Question(anchor: anchor, answer: answer, candidates: slots))
        }
        return data
    }

    /// Item indices of `split`, in id order.
    public func items(in split: ItemSplit.Part) -> [Int] { splits.indices.filter { splits[$0] == split } }
}
