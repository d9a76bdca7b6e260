import Foundation
import GRDB
import LoomCore

/// Reads `features.sqlite`: which image each item has (by hash), and the pooled backbone features
/// of images by hash.
public enum FeaturesReader {
    /// The image hash of the items with ids in `ids` that have features, by id (no features read).
    public static func imageHashes(_ features: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: String] {
        try features.readStored("items") { db in
            var found: [Int64: String] = [:]
            let rows = try BoundStatement(db, sql: "SELECT id, image_hash FROM items WHERE id BETWEEN ? AND ?")
            rows.bind(1, ids.lowerBound)
            rows.bind(2, ids.upperBound)
            while try rows.step() { found[try rows.storedInteger(0, column: "id")] = try rows.storedText(1, column: "image_hash") }
            return found
        }
    }

    /// The features of the images in `hashes` that the file has, by hash. A blob that is not
    /// whole float32 values is bad input naming the file.
    public static func visual(_ features: DatabaseQueue, hashes: [String]) throws -> [String: [Float]] {
        guard !hashes.isEmpty else { return [:] }
        return try features.readStored("features") { db in
            var found: [String: [Float]] = [:]
            let lookup = try db.makeStatement(sql: "SELECT visual FROM features WHERE image_hash = ?")
            for hash in hashes {
                if let blob = try Data.fetchOne(lookup, arguments: [hash]) { found[hash] = try decode(blob, path: features.path) }
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
