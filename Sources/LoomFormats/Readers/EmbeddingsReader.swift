import Foundation
import GRDB
import LoomCore

/// Reads `embeddings.sqlite`: the fused vectors the index serves, and the backbone features
/// training can reuse.
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

    /// The pooled backbone features of the items in `wanted` that have an image, by id.
    public static func visualFeatures(_ embeddings: DatabaseQueue, wanted: Set<Int64>) throws -> [Int64: [Float]] {
        try embeddings.readStored("embeddings") { db in
            var features: [Int64: [Float]] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, visual FROM embeddings WHERE visual IS NOT NULL")
            while let row = try rows.next() {
                let id: Int64 = try row.stored("id")
                guard wanted.contains(id), let blob = try row.storedIfPresent("visual", as: Data.self) else { continue }
                features[id] = FloatBlob.decode(blob)
            }
            return features
        }
    }
}
