import Foundation
import GRDB
import LoomCore

/// Reads `embeddings.sqlite`: the fused vectors the index serves, and the sentence vectors of
/// the items' text when the embed stage had a text model.
public enum EmbeddingsReader {
    /// The stored vector blobs (`FloatBlob`) of the items with ids in `ids`, by id.
    public static func vectors(_ embeddings: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: Data] {
        try blobs(embeddings, table: "embeddings", ids: ids)
    }

    /// The sentence vectors of the items with ids in `ids` that have one, by id (none from an
    /// output written before the table existed).
    public static func textVectors(_ embeddings: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: Data] {
        let present = try embeddings.read { db in try db.tableExists("text_embeddings") }
        return present ? try blobs(embeddings, table: "text_embeddings", ids: ids) : [:]
    }

    /// The type-pair weight rows (query type, partner type, float32 LE blob) in key order; none
    /// from a plain cosine model or an output written before the table existed.
    public static func typePairs(_ database: DatabaseQueue) throws -> [(query: String, partner: String, weights: Data)] {
        try database.read { db in
            guard try db.tableExists("type_pairs") else { return [] }
            return try Row.fetchAll(db, sql: "SELECT query_type, partner_type, weights FROM type_pairs ORDER BY query_type, partner_type")
                .map { (query: $0["query_type"], partner: $0["partner_type"], weights: $0["weights"]) }
        }
    }

    static func blobs(_ embeddings: DatabaseQueue, table: String, ids: ClosedRange<Int64>) throws -> [Int64: Data] {
        try embeddings.readStored(table) { db in
            var found: [Int64: Data] = [:]
            let rows = try BoundStatement(db, sql: "SELECT id, vector FROM \(table) WHERE id BETWEEN ? AND ?")
            rows.bind(1, ids.lowerBound)
            rows.bind(2, ids.upperBound)
            while try rows.step() { found[try rows.storedInteger(0, column: "id")] = try rows.storedBlob(1, column: "vector") }
            return found
        }
    }
}
