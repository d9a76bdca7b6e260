import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// Stage embed: every catalog item's image features (from features.sqlite, where the backbone ran
/// once per image) and token ids (from text.sqlite) through LoomNet's heads →
/// `work/embeddings.sqlite`: the fused, L2-normalised vector of each item.
///
/// Fallback for a missing tower: an item without an image gets a zero visual vector (and NULL
/// no visual projection), one without text a zero text vector; the fusion MLP runs on the rest. Both are
/// counted in the report (`text_only`, `image_only`). An item with neither is a reject.
///
/// With a `text_model`, each item's text also gets a sentence vector (`SentenceVectors`).
public struct EmbedStage: Stage {
    public typealias Settings = EmbedSettings

    public static let name = StageOutputFile.embeddings.stage
    public static let outputFileName = StageOutputFile.embeddings.fileName
    /// One row per item: shards add up.
    public static let shardMerge: ShardMerge? = ShardMerge(rules: ["type_pairs": .shared])

    public init() {}

    /// The catalog, the features and the text outputs, and the model's files (its weights, or the
    /// backbone it starts from).
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        let stages: [StageInput] = [
            StageOutputFile.catalog.input, StageOutputFile.features.input,
            StageOutputFile.text.input,
        ]
        let textModel = settings.textModel.map(SentenceEmbedder.modelFiles) ?? []
        return stages + ModelInput.modelFiles(settings.model).map { .file(label: "model", path: $0) }
            + textModel.map { .file(label: "text_model", path: $0) }
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let network = try LoomNet(directory: settings.model)
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        let features = try StageOutputReader.open(path: context.workPath(.features))
        let text = try StageOutputReader.open(path: context.workPath(.text))
        defer { try? catalog.close(); try? features.close(); try? text.close() }
        try ModelInput.checkBackbone(featuresPath: context.workPath(.features), model: settings.model)
        let tokenization = try TokenizationMeta.read(path: context.workPath(.text))
        try ModelInput.checkVocabulary(tokenization, textPath: context.workPath(.text), model: settings.model, config: network.config)

        try output.database.write { db in
            try db.execute(sql: StageOutputFile.embeddings.schema)
            if let typePairs = network.typePairs {   // what `loom query --type` needs, in both orders
                let insert = try db.makeStatement(sql: "INSERT INTO type_pairs (query_type, partner_type, weights) VALUES (?, ?, ?)")
                for query in typePairs.types {
                    for partner in typePairs.types {
                        try insert.execute(arguments: [query, partner, FloatBlob.encode(Array(typePairs.row(query, partner)!))])
                    }
                }
            }
        }
        let precision = try Self.featuresPrecision(path: context.workPath(.features))
        let reuseKey = try Self.reuseKey(model: settings.model, precision: precision, context: context)
        let previous = output.previous(reuseKey: reuseKey)
        defer { try? previous?.close() }
        let total = try CatalogReader.itemCount(catalog)
        let progress = context.progress("embed items", total: total)
        defer { progress.finish() }
        var counts = ["items": 0, "embedded": 0, "image_and_text": 0, "image_only": 0, "text_only": 0, "reused": 0, "computed": 0]
        var after = Int64.min
        var clock = ComputeClock()
        func insert(_ rows: [(id: Int64, key: String, row: Row)]) throws {
            try output.database.write { db in
                let insert = try BoundStatement(db, sql: "INSERT INTO embeddings (id, vector, has_image, has_text, inputs_hash) VALUES (?, ?, ?, ?, ?)")
                for (id, key, row) in rows {
                    insert.bind(1, id)
                    insert.bind(2, row.vector)
                    insert.bind(3, Int64(row.hasImage ? 1 : 0))
                    insert.bind(4, Int64(row.hasText ? 1 : 0))
                    insert.bind(5, key)
                    try insert.run()
                    counts[row.hasImage && row.hasText ? "image_and_text" : row.hasImage ? "image_only" : "text_only", default: 0] += 1
                    counts["embedded", default: 0] += 1
                }
            }
        }
        // Items to run wait for a round of full batches: a night's few changed items are spread
        // thinly over the chunks, and batches of a handful ran the model at half its rate. (An
        // item's embedding does not depend on the batch it is run in; rows go in by id.)
        var pending: [(id: Int64, key: String, input: LoomNet.Input)] = []
        let round = settings.batch * max(1, context.threads) * 4
        func runPending() throws {
            var computed: [(id: Int64, key: String, row: Row)] = []
            for start in stride(from: 0, to: pending.count, by: settings.batch) {
                let batch = Array(pending[start..<min(start + settings.batch, pending.count)])
                for (entry, result) in zip(batch, try clock.time { try network.forward(batch.map(\.input), threads: context.threads) }) {
                    computed.append((entry.id, entry.key, Row(vector: FloatBlob.encode(result.embedding), hasImage: result.visualPooled != nil,
                                                              hasText: result.textLast != nil)))
                }
            }
            try insert(computed)
            pending.removeAll(keepingCapacity: true)
        }
        while true {
            var chunk = try WorkItemReader.chunk(after: after, catalog: catalog, text: text, idWidth: tokenization.idWidth)
            guard let first = chunk.first, let last = chunk.last else { break }
            after = last.id
            // An item's row depends on its image (by hash) and its ids: rows of the same inputs under
            // the same model are copied, and only the other items' features are read and run.
            let imageOf = try FeaturesReader.imageHashes(features, ids: first.id...last.id)
            chunk = chunk.filter { context.shard.contains(key: $0.asin) }
            for index in chunk.indices { chunk[index].imageHash = imageOf[chunk[index].id] }
            let keys = chunk.map { Self.inputsHash(imageHash: $0.imageHash, tokens: Array(($0.tokens ?? []).prefix(network.config.text.maxLen))) }
            let stored = try previous.map { try Self.storedRows($0, keys: keys, vectorBytes: 4 * network.embeddingDim) } ?? [:]
            let open = chunk.indices.filter { stored[keys[$0]] == nil }
            let visual = try FeaturesReader.visual(features, hashes: open.compactMap { chunk[$0].imageHash })
            for index in open { chunk[index].visual = chunk[index].imageHash.flatMap { visual[$0] } }
            let prepared = try ParallelMap.map(open.map { chunk[$0] }, threads: context.threads) { ModelInput.prepare($0, config: network.config) }
            for (index, outcome) in zip(open, prepared) {
                switch outcome {
                case .input(let input): pending.append((chunk[index].id, keys[index], input))
                case .reject(let reason, let detail):
                    output.rejects.record(source: chunk[index].asin, position: "item \(chunk[index].id)", reason: reason, detail: detail)
                }
            }
            counts["reused", default: 0] += chunk.count - open.count
            counts["computed", default: 0] += open.count - prepared.count { if case .reject = $0 { true } else { false } }
            try insert(zip(chunk, keys).compactMap { item, key in stored[key].map { (item.id, key, $0) } })
            if pending.count >= round { try runPending() }
            counts["items", default: 0] += chunk.count
            progress.advance(by: chunk.count)
        }
        try runPending()
        var textMeta: [String: String] = [:]
        if let textModel = settings.textModel {
            let sentences = try SentenceVectors(settings: settings, directory: textModel, context: context)
            let written = try sentences.write(catalog: catalog, output: output, context: context, clock: &clock)
            counts.merge(written.counts) { $1 }
            textMeta = written.meta.merging(["text_model": textModel]) { $1 }
        }
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "model": settings.model, "dim": String(network.embeddingDim), "image_size": String(network.config.imageSize),
            "missing_tower": "zero vector", StageOutput.reuseKeyName: reuseKey,
            // What a new item's photo must go through to be comparable (`loom query --image`).
            "backbone_precision": precision.rawValue,
        ].merging(clock.meta) { $1 }.merging(textMeta) { $1 }
        return result
    }

    /// The version of what this stage computes from an item's inputs; rows are reused under
    /// the same version and model files, not the same Loom version.
    public static let algorithm = "embed/1"

    /// A stored embedding row.
    struct Row: Sendable {
        var vector: Data
        var hasImage: Bool
        var hasText: Bool
    }

    /// What a row depends on besides the item's inputs: this computation, the content of the
    /// model's files, and the arithmetic of the backbone the visual features came from (a vector
    /// made from fp32 features is not reused over int8 ones, or the other way round; fp32's key
    /// is the one earlier releases wrote).
    static func reuseKey(model: String, precision: BackbonePrecision, context: StageContext) throws -> String {
        let hashes = try ModelInput.modelFiles(model).map { try context.inputHashes.hash(of: $0, using: ContentHash.file(atPath:)) }
        return "\(algorithm) model \(hashes.joined(separator: " "))" + (precision == .fp32 ? "" : " features \(precision.rawValue)")
    }

    /// The features stage's `precision`, from its output's meta; an output written before that
    /// key was recorded says it in its reuse key (which ends in " int8" for int8 features).
    static func featuresPrecision(path: String) throws -> BackbonePrecision {
        let meta = try StageMeta.read(path: path).extra
        guard let recorded = meta["precision"] else {
            return meta[StageOutput.reuseKeyName]?.hasSuffix(" \(BackbonePrecision.int8.rawValue)") == true ? .int8 : .fp32
        }
        guard let precision = BackbonePrecision(rawValue: recorded) else {
            throw LoomError.badInput(path: path, position: "meta precision", reason: BackbonePrecision.unknown(recorded))
        }
        return precision
    }

    /// An item's inputs as the model sees them: the stored image its features come from, and
    /// the ids it reads.
    static func inputsHash(imageHash: String?, tokens: [Int32]) -> String {
        var bytes = Array("image \(imageHash ?? "-")\ntokens \(tokens.count)\n".utf8)
        bytes.reserveCapacity(bytes.count + 4 * tokens.count)
        for token in tokens { withUnsafeBytes(of: token.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes.withUnsafeBytes { FileContentHasher.hash($0) }
    }

    /// The previous output's rows for the inputs in `keys` that it has, by inputs hash.
    /// A stored vector of another size than `vectorBytes` (a damaged file) is not reused.
    static func storedRows(_ previous: DatabaseQueue, keys: [String], vectorBytes: Int) throws -> [String: Row] {
        try previous.readStored("embeddings") { db in
            let lookup = try BoundStatement(db, sql: "SELECT vector, has_image, has_text FROM embeddings WHERE inputs_hash = ? LIMIT 1")
            var found: [String: Row] = [:]
            for key in keys where found[key] == nil {
                lookup.bind(1, key)
                let stored = try lookup.firstRow { row in Row(vector: row.blob(0), hasImage: row.integer(1) != 0, hasText: row.integer(2) != 0) }
                if let stored, stored.vector.count == vectorBytes { found[key] = stored }
            }
            return found
        }
    }
}
