import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// The embed stage's second space: each item's title and description through a sentence
/// encoder (`text_model`) into `text_embeddings`. The ids are the encoder's own WordPiece
/// tokenisation of the text (its vocab.txt, cut at `text_max_tokens`), not text.sqlite's, whose
/// length and vocabulary are LoomNet's settings. At about 21 MFLOP a token the encoder is the
/// costliest step of a night, so a row is copied from the previous output whenever the same
/// model files read the same ids (`text_reuse_key` in meta, the ids' hash in each row).
public struct SentenceVectors {
    /// Bump when the encoder's numerics change (kernels, GELU, softmax): stored vectors must not
    /// be reused across a change of what the same model computes.
    static let algorithm = "sentence/2"
    static let reuseKeyName = "text_reuse_key"
    /// Catalog rows read at a time, and texts per call of the encoder (each thread takes its share).
    static let chunkItems = 2048
    static let batchPerThread = 32

    let embedder: SentenceEmbedder
    let reuseKey: String

    init(settings: EmbedSettings, directory: String, context: StageContext) throws {
        embedder = try SentenceEmbedder(directory: directory, maximumTokens: settings.textMaxTokens)
        reuseKey = try Self.key(directory: directory, maximumTokens: settings.textMaxTokens) {
            try context.inputHashes.hash(of: $0, using: ContentHash.file(atPath:))
        }
    }

    /// What the vectors depend on besides the ids: this computation, the token limit and the
    /// model files' content. The index records it; `loom query --text` checks its model against it.
    public static func key(directory: String, maximumTokens: Int, hash: (String) throws -> String = ContentHash.file(atPath:)) throws -> String {
        let hashes = try SentenceEmbedder.modelFiles(directory).map(hash)
        return "\(algorithm) max \(maximumTokens) model \(hashes.joined(separator: " "))"
    }

    /// Writes every item's sentence vector (of this shard) to `text_embeddings`; returns the counts
    /// and meta the stage reports.
    func write(catalog: DatabaseQueue, output: StageOutput, context: StageContext, clock: inout ComputeClock) throws
        -> (counts: [String: Int], meta: [String: String]) {
        // The output this run replaces, when its text vectors came from the same model and length
        // (whatever LoomNet model made its fused rows).
        let previous = output.previous(reuseKey: reuseKey, keyName: Self.reuseKeyName)
        defer { try? previous?.close() }
        let progress = context.progress("embed texts", total: try CatalogReader.itemCount(catalog))
        defer { progress.finish() }
        var counts = ["text_embedded": 0, "text_reused": 0, "text_computed": 0, "text_tokens": 0, "no_text": 0]
        var after = Int64.min
        while true {
            let items = try CatalogReader.items(catalog, after: after, limit: Self.chunkItems)
            guard let last = items.last else { break }
            after = last.id
            var rows: [(id: Int64, ids: [Int32], key: String)] = []
            for item in items where context.shard.contains(key: item.asin) {
                // Text that tokenises to nothing ([CLS] [SEP] alone: spaces, control characters)
                // would get one vector that every phrase finds; it gets none.
                let ids = embedder.ids(item.text([.title, .description]))
                guard ids.count > 2 else {
                    counts["no_text", default: 0] += 1
                    continue
                }
                rows.append((item.id, ids, Self.inputsHash(ids)))
            }
            let stored = try previous.map { try Self.storedVectors($0, keys: rows.map(\.key), bytes: 4 * embedder.dimension) } ?? [:]
            let open = rows.filter { stored[$0.key] == nil }
            var fresh: [String: Data] = [:]
            let batch = Self.batchPerThread * max(1, context.threads)
            for start in stride(from: 0, to: open.count, by: batch) {
                let part = open[start..<min(start + batch, open.count)]
                let vectors = try clock.time { try embedder.encoder.encode(part.map(\.ids), threads: context.threads) }
                for (row, vector) in zip(part, vectors) { fresh[row.key] = FloatBlob.encode(vector) }
            }
            try output.database.write { db in
                let insert = try BoundStatement(db, sql: "INSERT INTO text_embeddings (id, vector, inputs_hash) VALUES (?, ?, ?)")
                for row in rows {
                    insert.bind(1, row.id)
                    insert.bind(2, stored[row.key] ?? fresh[row.key]!)
                    insert.bind(3, row.key)
                    try insert.run()
                }
            }
            counts["text_embedded", default: 0] += rows.count
            counts["text_reused", default: 0] += rows.count - open.count
            counts["text_computed", default: 0] += open.count
            counts["text_tokens", default: 0] += open.reduce(0) { $0 + $1.ids.count }
            progress.advance(by: items.count)
        }
        let meta = [
            "text_dim": String(embedder.dimension), "text_max_tokens": String(embedder.maximumTokens),
            "text_token_ids": "the text model's WordPiece (its vocab.txt) of title and description", Self.reuseKeyName: reuseKey,
        ]
        return (counts, meta)
    }

    /// What a row depends on besides the model: the ids it read.
    static func inputsHash(_ ids: [Int32]) -> String {
        var bytes = Array("sentence ids \(ids.count)\n".utf8)
        for id in ids { withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes.withUnsafeBytes { FileContentHasher.hash($0) }
    }

    /// The previous output's vectors for the ids hashes in `keys` that it has; a vector of another
    /// size than `bytes` (a damaged file) is not reused.
    static func storedVectors(_ previous: DatabaseQueue, keys: [String], bytes: Int) throws -> [String: Data] {
        try previous.readStored("text_embeddings") { db in
            let lookup = try BoundStatement(db, sql: "SELECT vector FROM text_embeddings WHERE inputs_hash = ? LIMIT 1")
            var found: [String: Data] = [:]
            for key in keys where found[key] == nil {
                lookup.bind(1, key)
                if let vector = try lookup.firstRow({ $0.blob(0) }), vector.count == bytes { found[key] = vector }
            }
            return found
        }
    }
}
