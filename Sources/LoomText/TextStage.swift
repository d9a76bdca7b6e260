import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomTokenizers

/// Stage text: each item's title and description (by default) → token ids in `work/text.sqlite`:
/// BERT WordPiece with the project's vocabulary, or a word vocabulary built from training items.
/// A rerun under the same settings and vocabulary copies the ids of every unchanged text from
/// the previous output and tokenises only the rest.
public struct TextStage: Stage {
    public typealias Settings = TextSettings

    public static let name = StageOutputFile.text.stage
    public static let outputFileName = StageOutputFile.text.fileName
    /// Token ids by item; the vocabulary is the same in every shard.
    public static let shardMerge: ShardMerge? = ShardMerge(rules: ["vocab": .shared])
    /// The catalog this stage reads (the ingest stage's output).
    static let catalog = StageOutputFile.catalog.input
    static let chunkRows = 4096
    /// The version of what this stage computes from a text; rows are reused under the same
    /// version, settings and vocabulary, not the same Loom version.
    public static let algorithm = "text/1"

    public static let noText = RejectReason("no_text")

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [TextStage.catalog] + (settings.vocabularyPath.map { [.file(label: "vocab", path: $0)] } ?? [])
    }

    /// An item's stored ids (`TokenIDsBlob`), made here or copied from the previous output as stored.
    struct Encoded: Sendable {
        var blob: Data
        var length: Int
        var truncated: Bool
        var unknown: Int
    }

    /// An item's text to tokenise (nil: no title and no description), with its hash.
    struct ItemText: Sendable {
        var text: String
        var hash: String
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let catalogPath = context.workPath(.catalog)
        let catalog = try StageOutputReader.open(path: catalogPath)
        defer { try? catalog.close() }

        let encoder: @Sendable (String) -> (ids: [Int32], truncated: Bool)
        let vocabulary: [String]
        let unknownID: Int32
        switch settings.tokenizer {
        case .bert:
            let tokenizer = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: settings.vocabularyPath!))
            let unknown = tokenizer.vocabulary.unknownID
            vocabulary = tokenizer.vocabulary.tokens
            unknownID = unknown
            encoder = { text in
                let encoding = tokenizer.encode(text, maxLength: settings.maxLength)
                return (encoding.ids, encoding.truncated)
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
            unknownID = WordVocabulary.unknown
            encoder = { text in words.encode(text, maxLength: settings.maxLength) }
        }
        let idWidth = vocabulary.count <= 65_536 ? 2 : 4
        let encode: @Sendable (String) -> Encoded = { text in
            let (ids, truncated) = encoder(text)
            return Encoded(blob: TokenIDsBlob.encode(ids, width: idWidth), length: ids.count, truncated: truncated,
                           unknown: ids.count { $0 == unknownID })
        }

        try output.database.write { db in
            try db.execute(sql: StageOutputFile.text.schema)
            let insert = try db.makeStatement(sql: "INSERT INTO vocab (id, token) VALUES (?, ?)")
            for (id, token) in vocabulary.enumerated() { try insert.execute(arguments: [id, token]) }
        }

        let vocabularyHash = TokenIDsBlob.vocabularyHash(vocabulary)
        let reuseKey = try settings.reuseKey(vocabularyHash: vocabularyHash)
        let previous = output.previous(reuseKey: reuseKey)
        defer { try? previous?.close() }
        var counts = ["items": 0, "encoded": 0, "empty_title": 0, "empty_description": 0, "truncated": 0, "tokens": 0, "unknown_tokens": 0,
                      "reused": 0, "computed": 0]
        let progress = context.progress("text items", total: nil)
        defer { progress.finish() }
        var clock = ComputeClock()
        try CatalogReader.forEachChunk(catalog, chunk: TextStage.chunkRows) { items in
            let kept = items.filter { context.shard.contains(key: $0.asin) }
            let texts = try ParallelMap.map(Self.slices(kept, threads: context.threads), threads: context.threads) { slice in
                slice.map { item -> ItemText? in
                    guard !(item.title ?? "").isEmpty || !(item.description ?? "").isEmpty else { return nil }
                    let text = item.text(settings.fields)
                    return ItemText(text: text, hash: FileContentHasher.hash(text))
                }
            }.flatMap { $0 }
            let reused = try previous.map { try Self.storedIDs($0, hashes: texts.compactMap { $0?.hash }, width: idWidth, unknownID: unknownID) } ?? [:]
            let toEncode = texts.map { text in text.flatMap { reused[$0.hash] == nil ? $0.text : nil } }
            let encoded = try clock.time {
                try ParallelMap.map(Self.slices(toEncode, threads: context.threads), threads: context.threads) { slice in
                    slice.map { text in text.map(encode) }
                }.flatMap { $0 }
            }
            try output.database.write { db in
                let insert = try BoundStatement(db, sql: "INSERT INTO tokens (id, length, truncated, ids, text_hash) VALUES (?, ?, ?, ?, ?)")
                for ((item, text), fresh) in zip(zip(kept, texts), encoded) {
                    counts["items", default: 0] += 1
                    if (item.title ?? "").isEmpty { counts["empty_title", default: 0] += 1 }
                    if (item.description ?? "").isEmpty { counts["empty_description", default: 0] += 1 }
                    guard let text, let result = fresh ?? reused[text.hash] else {
                        output.rejects.record(source: item.asin, position: "item \(item.id)", reason: TextStage.noText,
                                              detail: "the item has neither a title nor a description")
                        continue
                    }
                    counts[fresh == nil ? "reused" : "computed", default: 0] += 1
                    counts["encoded", default: 0] += 1
                    counts["tokens", default: 0] += result.length
                    counts["unknown_tokens", default: 0] += result.unknown
                    if result.truncated { counts["truncated", default: 0] += 1 }
                    insert.bind(1, item.id)
                    insert.bind(2, Int64(result.length))
                    insert.bind(3, Int64(result.truncated ? 1 : 0))
                    insert.bind(4, result.blob)
                    insert.bind(5, text.hash)
                    try insert.run()
                }
            }
            progress.advance(by: kept.count)
        }
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "tokenizer": settings.tokenizer.rawValue, "vocab_hash": vocabularyHash, "vocab_size": String(vocabulary.count),
            "id_width": String(idWidth), "max_len": String(settings.maxLength), "fields": settings.fields.map(\.rawValue).joined(separator: ","),
            StageOutput.reuseKeyName: reuseKey,
        ].merging(clock.meta) { $1 }
        return result
    }

    /// `items` cut into one slice per thread, in order.
    static func slices<T>(_ items: [T], threads: Int) -> [[T]] {
        let size = max(1, (items.count + threads - 1) / max(1, threads))
        return stride(from: 0, to: items.count, by: size).map { Array(items[$0..<min($0 + size, items.count)]) }
    }

    /// The previous output's ids of the texts in `hashes` that it has, by text hash. A row whose
    /// ids do not fill `length` ids of `width` bytes (a damaged file) is not reused.
    static func storedIDs(_ previous: DatabaseQueue, hashes: [String], width: Int, unknownID: Int32) throws -> [String: Encoded] {
        try previous.readStored("tokens") { db in
            let lookup = try BoundStatement(db, sql: "SELECT length, truncated, ids FROM tokens WHERE text_hash = ? LIMIT 1")
            var found: [String: Encoded] = [:]
            for hash in hashes where found[hash] == nil {
                lookup.bind(1, hash)
                guard let (length, truncated, blob) = try lookup.firstRow({ row in (Int(row.integer(0)), row.integer(1) != 0, row.blob(2)) }),
                      length >= 0, blob.count == length * width else { continue }
                found[hash] = Encoded(blob: blob, length: length, truncated: truncated, unknown: TokenIDsBlob.count(unknownID, in: blob, width: width))
            }
            return found
        }
    }
}
