import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Stage index: the product. Every catalog item that has an embedding → `out/index.sqlite`:
/// `items(id, asin, category, title, image, type)` and `vectors(id, vector)` (float32 LE, unit
/// length; cosine = dot product), with `meta` naming the model, the dimension and the metric;
/// and `text_vectors(id, vector)`, the items' sentence vectors when embed had a text model
/// (`meta.text_model`, `text_dim`).
/// Items without an embedding are listed as rejects (`no_embedding`), not written. Before the
/// file is renamed into place it is checked: counts, dimensions, norms, `PRAGMA integrity_check`.
public struct IndexStage: Stage {
    public typealias Settings = IndexSettings

    public static let name = StageOutputFile.index.stage
    public static let outputFileName = StageOutputFile.index.fileName
    /// Items and vectors by id; `meta.vectors` counts the whole index.
    public static let shardMerge: ShardMerge? = ShardMerge(rules: ["type_pairs": .shared], summary: vectorsSummary)
    public static let writesProduct = true
    static let chunkItems = 4096

    public static let noEmbedding = RejectReason("no_embedding", countsTowardLimit: false)

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        [StageOutputFile.catalog.input, StageOutputFile.embeddings.input]
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        let embeddingsPath = context.workPath(.embeddings)
        let embeddings = try StageOutputReader.open(path: embeddingsPath)
        defer { try? catalog.close(); try? embeddings.close() }
        let embedMeta = try StageMeta.read(path: embeddingsPath).extra
        guard let dim = embedMeta["dim"].flatMap(Int.init), dim > 0 else {
            throw LoomError.badInput(path: embeddingsPath, position: "meta.dim", reason: "missing: not an embed output")
        }
        let typePairs = try EmbeddingsReader.typePairs(embeddings)
        try output.database.write { db in
            try db.execute(sql: StageOutputFile.index.schema)
            for pair in typePairs {
                guard pair.weights.count == 4 * dim else {
                    throw LoomError.badInput(path: embeddingsPath, position: "type_pairs (\(pair.query), \(pair.partner))",
                                             reason: "\(pair.weights.count) bytes of weights, expected \(4 * dim)")
                }
                try db.execute(sql: "INSERT INTO type_pairs (query_type, partner_type, weights) VALUES (?, ?, ?)",
                               arguments: [pair.query, pair.partner, pair.weights])
            }
        }
        let textDim = embedMeta["text_dim"].flatMap(Int.init) ?? 0
        let reused = try Self.reuseUnchangedRows(output: output, context: context, embeddingsPath: embeddingsPath,
                                                 model: embedMeta["model"] ?? "", dim: dim)
        let total = try CatalogReader.itemCount(catalog)
        let progress = context.progress("index items", total: total)
        defer { progress.finish() }
        var counts = ["items": 0, "indexed": 0, "reused": reused.count, "written": 0, "text_vectors": 0]
        var after = Int64.min
        while true {
            let items = try CatalogReader.listings(catalog, after: after, limit: Self.chunkItems)
            guard let first = items.first, let last = items.last else { break }
            after = last.id
            let vectors = try EmbeddingsReader.vectors(embeddings, ids: first.id...last.id)
            let textVectors = textDim > 0 ? try EmbeddingsReader.textVectors(embeddings, ids: first.id...last.id) : [:]
            try output.database.write { db in
                let insertItem = try db.makeStatement(sql: "INSERT INTO items (id, asin, category, title, image, type) VALUES (?, ?, ?, ?, ?, ?)")
                let insertVector = try db.makeStatement(sql: "INSERT INTO vectors (id, vector) VALUES (?, ?)")
                let insertText = try db.makeStatement(sql: "INSERT INTO text_vectors (id, vector) VALUES (?, ?)")
                for item in items where context.shard.contains(key: item.asin) {
                    counts["items", default: 0] += 1
                    let id = item.id
                    if reused.contains(id) {   // copied from the previous index, unchanged
                        counts["indexed", default: 0] += 1
                        continue
                    }
                    guard let vector = vectors[id] else {
                        output.rejects.record(source: item.asin, position: "item \(id)", reason: Self.noEmbedding,
                                              detail: "no row in embeddings.sqlite (see the embed rejects)")
                        continue
                    }
                    try Self.check(vector, dim: dim, tolerance: settings.normTolerance, id: id, path: embeddingsPath)
                    try insertItem.execute(arguments: [id, item.asin, item.category, item.title, item.image, item.type])
                    try insertVector.execute(arguments: [id, vector])
                    if let text = textVectors[id] {
                        try Self.check(text, dim: textDim, tolerance: settings.normTolerance, id: id, path: embeddingsPath,
                                       table: "text_embeddings")
                        try insertText.execute(arguments: [id, text])
                    }
                    counts["indexed", default: 0] += 1
                    counts["written", default: 0] += 1
                }
            }
            progress.advance(by: items.count)
        }
        try Self.verify(output.database, indexed: counts["indexed"] ?? 0, dim: dim, textDim: textDim, path: output.temporaryPath)
        counts["text_vectors"] = try output.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM text_vectors") ?? 0 }
        var result = StageResult(records: counts["items"] ?? 0, counts: counts, unit: "items")
        result.meta = [
            "model": embedMeta["model"] ?? "", "dim": String(dim), "metric": "cosine",
            "backbone_precision": embedMeta["backbone_precision"] ?? "fp32",
            "created": RunClock.timestamp(),
        ].merging(try output.database.read(Self.vectorsSummary).meta) { $1 }
        if textDim > 0 {
            result.meta["text_model"] = embedMeta["text_model"] ?? ""
            result.meta["text_dim"] = String(textDim)
            result.meta["text_max_tokens"] = embedMeta["text_max_tokens"] ?? ""
            result.meta["text_reuse_key"] = embedMeta["text_reuse_key"] ?? ""
        }
        return result
    }

    /// Incremental indexing: when the previous index (at this output's final path) was made from
    /// the same model and dimension, every row whose item (by asin), fields and vector bytes are
    /// unchanged is copied from it under the item's id of today in one SQL statement per table, and only new or changed rows go through
    /// the per-row checks and inserts; a shard copies its own items' rows, from its previous
    /// output or the whole one. An item's sentence vector must be unchanged too (or absent in
    /// both). Returns the ids copied (none without a usable previous index).
    static func reuseUnchangedRows(output: StageOutput, context: StageContext, embeddingsPath: String,
                                   model: String, dim: Int) throws -> Set<Int64> {
        let previous = output.previousPath
        guard FileManager.default.fileExists(atPath: previous),
              let meta = try? StageMeta.read(path: previous), meta.stage == name,
              meta.extra["model"] == model, meta.extra["dim"] == String(dim),
              Self.hasTable("text_vectors", path: previous), Self.hasTable("text_embeddings", path: embeddingsPath)
        else { return [] }
        return try output.database.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS previous", arguments: [previous])
            try db.execute(sql: "ATTACH DATABASE ? AS catalog", arguments: [context.workPath(.catalog)])
            try db.execute(sql: "ATTACH DATABASE ? AS embedded", arguments: [embeddingsPath])
            // A shard copies only its own items' rows.
            let shard = context.shard
            db.add(function: DatabaseFunction("loom_in_shard", argumentCount: 1, pure: true) { values in
                String.fromDatabaseValue(values[0]).map { shard.contains(key: $0) } ?? false
            })
            defer {
                for schema in ["previous", "catalog", "embedded"] { try? db.execute(sql: "DETACH DATABASE \(schema)") }
            }
            // Deferred, not GRDB's default IMMEDIATE: that would open a write transaction on
            // every attached input too, and COMMIT then needs their locks while the runner's
            // hashing thread is reading them (SQLITE_BUSY). Only `main` is written here.
            // Rows are matched by asin, not id: a night's churn renumbers every item after the
            // first one that is gone or new, and the copy takes the catalog's id of today.
            try db.inTransaction(.deferred) {
                try db.execute(sql: """
                    CREATE TEMP TABLE reused (id INTEGER PRIMARY KEY, previous INTEGER NOT NULL);
                    INSERT INTO temp.reused (id, previous)
                    SELECT c.id, p.id
                    FROM previous.items p
                    JOIN catalog.items c ON c.asin = p.asin AND c.category IS p.category
                        AND c.title IS p.title AND c.image IS p.image AND c.type = p.type
                    JOIN previous.vectors pv ON pv.id = p.id
                    JOIN embedded.embeddings e ON e.id = c.id AND e.vector = pv.vector
                    LEFT JOIN previous.text_vectors pt ON pt.id = p.id
                    LEFT JOIN embedded.text_embeddings et ON et.id = c.id
                    WHERE loom_in_shard(c.asin) AND pt.vector IS et.vector;
                    INSERT INTO main.items (id, asin, category, title, image, type)
                    SELECT r.id, p.asin, p.category, p.title, p.image, p.type FROM temp.reused r JOIN previous.items p ON p.id = r.previous
                    ORDER BY r.id;
                    INSERT INTO main.vectors (id, vector)
                    SELECT r.id, pv.vector FROM temp.reused r JOIN previous.vectors pv ON pv.id = r.previous ORDER BY r.id;
                    INSERT INTO main.text_vectors (id, vector)
                    SELECT r.id, pt.vector FROM temp.reused r JOIN previous.text_vectors pt ON pt.id = r.previous ORDER BY r.id;
                    DROP TABLE temp.reused;
                    """)
                return .commit
            }
            return Set(try Int64.fetchAll(db, sql: "SELECT id FROM main.items"))
        }
    }

    /// Whether the output at `path` has `table` (outputs from before the sentence vectors lack it:
    /// then nothing is copied and every row is written again).
    static func hasTable(_ table: String, path: String) -> Bool {
        guard let database = try? StageOutputReader.open(path: path) else { return false }
        defer { try? database.close() }
        return (try? database.read { db in try db.tableExists(table) }) == true
    }

    /// The number of vectors: of the whole index, not a sum over shards.
    @Sendable static func vectorsSummary(_ db: Database) throws -> OutputSummary {
        OutputSummary(meta: ["vectors": String(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vectors") ?? 0)])
    }

    /// A vector must have `dim` floats and unit length (an embed output that is not is corrupt).
    static func check(_ blob: Data, dim: Int, tolerance: Double, id: Int64, path: String, table: String = "embeddings") throws {
        guard blob.count == dim * 4, let values = FloatBlob.decode(blob) else {
            throw LoomError.badInput(path: path, position: "\(table).id \(id)", reason: "\(blob.count) bytes, expected \(dim) float32")
        }
        let norm = values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        guard abs(norm - 1) <= tolerance else {
            throw LoomError.badInput(path: path, position: "\(table).id \(id)", reason: "vector norm \(norm), expected 1 ± \(tolerance)")
        }
    }

    /// The written file, read back: the counts agree, every vector has `dim` floats, and SQLite
    /// finds nothing wrong with it.
    static func verify(_ database: DatabaseQueue, indexed: Int, dim: Int, textDim: Int, path: String) throws {
        try database.read { db in
            let items = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? -1
            let vectors = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vectors") ?? -1
            let wrongLength = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vectors WHERE length(vector) != ?", arguments: [dim * 4]) ?? -1
            let orphans = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vectors v LEFT JOIN items i ON i.id = v.id WHERE i.id IS NULL") ?? -1
            let textWrong = try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM text_vectors t LEFT JOIN items i ON i.id = t.id WHERE i.id IS NULL OR length(t.vector) != ?
                """, arguments: [textDim * 4]) ?? -1
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            guard items == indexed, vectors == indexed, wrongLength == 0, orphans == 0, textWrong == 0, integrity == ["ok"] else {
                throw LoomError.internalError(
                    "\(path) failed its check: \(items) items, \(vectors) vectors (expected \(indexed)), \(wrongLength) of the wrong length, \(orphans) without an item, \(textWrong) text vectors without an item or of the wrong length, integrity: \(integrity.prefix(3).joined(separator: "; "))")
            }
        }
    }
}
