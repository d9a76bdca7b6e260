import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomTokenizers

/// Stage text: each item's title and description (by default) → token ids in `work/text.sqlite`:
/// BERT WordPiece with the project's vocabulary, or a word vocabulary built from training items.
public struct TextStage: Stage {
    public typealias Settings = TextSettings

    public static let name = StageOutputFile.text.stage
    public static let outputFileName = StageOutputFile.text.fileName
    /// The catalog this stage reads (the ingest stage's output).
    static let catalog = StageOutputFile.catalog.input
    static let chunkRows = 4096

    public static let noText = RejectReason("no_text")

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [TextStage.catalog] + (settings.vocabularyPath.map { [.file(label: "vocab", path: $0)] } ?? [])
    }

    struct Encoded: Sendable {
        var ids: [Int32]
        var truncated: Bool
        var unknown: Int
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let catalogPath = context.workPath(.catalog)
        let catalog = try StageOutputReader.open(path: catalogPath)
        defer { try? catalog.close() }

        let encoder: @Sendable (String) -> Encoded
        let vocabulary: [String]
        switch settings.tokenizer {
        case .bert:
            let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: settings.vocabularyPath!))
            let unknown = tokenizer.vocabulary.unknownID
            vocabulary = tokenizer.vocabulary.tokens
            encoder = { text in
                let encoding = tokenizer.encode(text, maxLength: settings.maxLength)
                return Encoded(ids: encoding.ids, truncated: encoding.truncated, unknown: encoding.ids.count { $0 == unknown })
            }
        case .word:
            let words: WordVocabulary
            if let path = settings.vocab {
                words = WordVocabulary(tokens: try WordPieceVocabulary.lines(path: path))
            } else {
                let split = ItemSplit(seed: context.seed, trainFraction: settings.trainFraction, validFraction: 0)
                var texts: [String] = []
                try CatalogReader.forEachChunk(catalog, chunk: TextStage.chunkRows) { items in
                    for item in items where split.part(of: item.asin) == .train { texts.append(item.text(settings.fields)) }
                }
                words = WordVocabulary.build(from: texts, minCount: settings.minCount)
            }
            vocabulary = words.tokens
            encoder = { text in
                let (ids, truncated) = words.encode(text, maxLength: settings.maxLength)
                return Encoded(ids: ids, truncated: truncated, unknown: ids.count { $0 == WordVocabulary.unknown })
            }
        }
        let idWidth = vocabulary.count <= 65_536 ? 2 : 4

        try output.database.write { db in
            try db.execute(sql: StageOutputFile.text.schema)
            let insert = try db.makeStatement(sql: "INSERT INTO vocab (id, token) VALUES (?, ?)")
            for (id, token) in vocabulary.enumerated() { try insert.execute(arguments: [id, token]) }
        }

        var counts = ["items": 0, "encoded": 0, "empty_title": 0, "empty_description": 0, "truncated": 0, "tokens": 0, "unknown_tokens": 0]
        let progress = context.progress("text items", total: nil)
        defer { progress.finish() }
        try CatalogReader.forEachChunk(catalog, chunk: TextStage.chunkRows) { items in
            let kept = items.filter { context.shard.contains(key: $0.asin) }
            let sliceSize = max(1, (kept.count + context.threads - 1) / context.threads)
            let slices = stride(from: 0, to: kept.count, by: sliceSize).map { Array(kept[$0..<min($0 + sliceSize, kept.count)]) }
            let encoded = try ParallelMap.map(slices, threads: context.threads) { slice in
                slice.map { item -> Encoded? in
                    (item.title ?? "").isEmpty && (item.description ?? "").isEmpty ? nil : encoder(item.text(settings.fields))
                }
            }.flatMap { $0 }
            try output.database.write { db in
                let insert = try db.makeStatement(sql: "INSERT INTO tokens (id, length, truncated, ids) VALUES (?, ?, ?, ?)")
                for (item, result) in zip(kept, encoded) {
                    counts["items", default: 0] += 1
                    if (item.title ?? "").isEmpty { counts["empty_title", default: 0] += 1 }
                    if (item.description ?? "").isEmpty { counts["empty_description", default: 0] += 1 }
                    guard let result else {
                        output.rejects.record(source: item.asin, position: "item \(item.id)", reason: TextStage.noText,
                                              detail: "the item has neither a title nor a description")
                        continue
                    }
                    counts["encoded", default: 0] += 1
                    counts["tokens", default: 0] += result.ids.count
                    counts["unknown_tokens", default: 0] += result.unknown
                    if result.truncated { counts["truncated", default: 0] += 1 }
                    try insert.execute(arguments: [item.id, result.ids.count, result.truncated, TokenIDsBlob.encode(result.ids, width: idWidth)])
                }
            }
            progress.advance(by: kept.count)
        }
        let vocabularyHash = TokenIDsBlob.vocabularyHash(vocabulary)
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "tokenizer": settings.tokenizer.rawValue, "vocab_hash": vocabularyHash, "vocab_size": String(vocabulary.count),
            "id_width": String(idWidth), "max_len": String(settings.maxLength), "fields": settings.fields.map(\.rawValue).joined(separator: ","),
        ]
        return result
    }
}
