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
public struct EmbedStage: Stage {
    public typealias Settings = EmbedSettings

    public static let name = StageOutputFile.embeddings.stage
    public static let outputFileName = StageOutputFile.embeddings.fileName


    public init() {}

    /// The catalog, the features and the text outputs, and the model's files (its weights, or the
    /// backbone it starts from).
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        let stages: [StageInput] = [
            StageOutputFile.catalog.input, StageOutputFile.features.input,
            StageOutputFile.text.input,
        ]
        return stages + ModelInput.modelFiles(settings.model).map { .file(label: "model", path: $0) }
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
        }
        let total = try CatalogReader.itemCount(catalog)
        let progress = context.progress("embed items", total: total)
        defer { progress.finish() }
        var counts = ["items": 0, "embedded": 0, "image_and_text": 0, "image_only": 0, "text_only": 0]
        var after = Int64.min
        while true {
            let chunk = try WorkItemReader.chunk(after: after, catalog: catalog, features: features, text: text,
                                                   idWidth: tokenization.idWidth)
            guard let last = chunk.last else { break }
            after = last.id
            let items = chunk.filter { context.shard.contains(key: $0.asin) }
            let prepared = try ParallelMap.map(items, threads: context.threads) { ModelInput.prepare($0, config: network.config) }
            var inputs: [(WorkItem, LoomNet.Input)] = []
            for (item, outcome) in zip(items, prepared) {
                switch outcome {
                case .input(let input): inputs.append((item, input))
                case .reject(let reason, let detail):
                    output.rejects.record(source: item.asin, position: "item \(item.id)", reason: reason, detail: detail)
                }
            }
            for start in stride(from: 0, to: inputs.count, by: settings.batch) {
                let batch = Array(inputs[start..<min(start + settings.batch, inputs.count)])
                let results = try network.forward(batch.map(\.1), threads: context.threads)
                try output.database.write { db in
                    let insert = try db.makeStatement(sql: "INSERT INTO embeddings (id, vector, has_image, has_text) VALUES (?, ?, ?, ?)")
                    for ((item, _), result) in zip(batch, results) {
                        let hasImage = result.visualPooled != nil, hasText = result.textLast != nil
                        try insert.execute(arguments: [item.id, FloatBlob.encode(result.embedding), hasImage, hasText])
                        counts[hasImage && hasText ? "image_and_text" : hasImage ? "image_only" : "text_only", default: 0] += 1
                        counts["embedded", default: 0] += 1
                    }
                }
            }
            counts["items", default: 0] += items.count
            progress.advance(by: chunk.count)
        }
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "model": settings.model, "dim": String(network.embeddingDim), "image_size": String(network.config.imageSize),
            "missing_tower": "zero vector",
        ]
        return result
    }

}
