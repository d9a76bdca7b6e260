import Foundation
import GRDB
import LoomCore

/// Reads `embeddings.sqlite`: the fused vectors the index serves.
public enum EmbeddingsReader {
    /// The stored vector blobs (`FloatBlob`) of the items with ids in `ids`, by id.
    public static func vectors(_ embeddings: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: Data] {
        try embeddings.readStored("embeddings") { db in
            var found: [Int64: Data] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, vector FROM embeddings WHERE id BETWEEN ? AND ?",
                                           arguments: [ids.lowerBound, ids.upperBound])
            while let row = try rows.next() { found[try row.stored("id")] = try row.stored("vector", as: Data.self) }
            return found
        }
    }
}
