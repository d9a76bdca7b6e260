import Foundation
import GRDB
import LoomCore

/// Reads `features.sqlite`: each item's pooled backbone features (through the image it has), and
/// the features of an image by its hash, for the features stage's own reuse.
public enum FeaturesReader {
    /// An item's image, as the features stage knows it: its hash and its pooled features.
    public struct ItemFeatures: Sendable {
        public var imageHash: String
        public var visual: [Float]
    }

    /// The features of the items with ids in `ids` that have an image, by id. A blob that is not
    /// whole float32 values is bad input naming the file.
    public static func items(_ features: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: ItemFeatures] {
        try features.readStored("features") { db in
            var found: [Int64: ItemFeatures] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT i.id AS id, i.image_hash AS image_hash, f.visual AS visual FROM items i JOIN features f ON f.image_hash = i.image_hash
                WHERE i.id BETWEEN ? AND ?
                """, arguments: [ids.lowerBound, ids.upperBound])
            while let row = try rows.next() {
                found[try row.stored("id")] = ItemFeatures(imageHash: try row.stored("image_hash"),
                                                           visual: try decode(try row.stored("visual"), path: features.path))
            }
            return found
        }
    }

    /// The image hash of the items with ids in `ids` that have features, by id (no features read).
    public static func imageHashes(_ features: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: String] {
        try features.readStored("items") { db in
            var found: [Int64: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, image_hash FROM items WHERE id BETWEEN ? AND ?",
                                           arguments: [ids.lowerBound, ids.upperBound])
            while let row = try rows.next() { found[try row.stored("id")] = try row.stored("image_hash") }
            return found
        }
    }

    /// The features of the images in `hashes` that the file has, by hash.
    public static func visual(_ features: DatabaseQueue, hashes: [String]) throws -> [String: [Float]] {
        var found: [String: [Float]] = [:]
        for (hash, blob) in try blobs(features, hashes: hashes) { found[hash] = try decode(blob, path: features.path) }
        return found
    }

    /// The stored features blob of each image in `hashes` that the file has, by hash.
    public static func blobs(_ features: DatabaseQueue, hashes: [String]) throws -> [String: Data] {
        guard !hashes.isEmpty else { return [:] }
        return try features.readStored("features") { db in
            var found: [String: Data] = [:]
            let lookup = try db.makeStatement(sql: "SELECT visual FROM features WHERE image_hash = ?")
            for hash in hashes {
                if let blob = try Data.fetchOne(lookup, arguments: [hash]) { found[hash] = blob }
            }
            return found
        }
    }

    static func decode(_ blob: Data, path: String) throws -> [Float] {
        guard let values = FloatBlob.decode(blob), !values.isEmpty else {
            throw LoomError.badInput(path: path, position: "table features, visual", reason: "\(blob.count) bytes: not float32 values")
        }
        return values
    }
}
