import Foundation
import GRDB
import LoomCore

/// Reads `embeddings.sqlite`: the fused vectors the index serves.
public enum EmbeddingsReader {
    /// The stored vector blobs (`FloatBlob`) of the items with ids in `ids`, by id.
    public static func vectors(_ embeddings: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: Data] {
        try embeddings.readStored("embeddings") { db in
            var found: [Int64: Data] = [:]
            let rows = try BoundStatement(db, sql: "SELECT id, vector FROM embeddings WHERE id BETWEEN ? AND ?")
            rows.bind(1, ids.lowerBound)
            rows.bind(2, ids.upperBound)
            while try rows.step() { found[try rows.storedInteger(0, column: "id")] = try rows.storedBlob(1, column: "vector") }
            return found
        }
    }
}
