import Foundation
import GRDB
import LoomCore

/// Reads `images.sqlite`: which stored image each item has (its `pixels_hash`, without the
/// pixels), and the stored images themselves by hash, for the images that are needed.
public enum ImagesReader {
    /// The stored image hash of the items with ids in `ids` that have an image, by id.
    public static func pixelHashes(_ images: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: String] {
        try images.readStored("images") { db in
            var found: [Int64: String] = [:]
            let rows = try BoundStatement(db, sql: "SELECT id, pixels_hash FROM images WHERE id BETWEEN ? AND ?")
            rows.bind(1, ids.lowerBound)
            rows.bind(2, ids.upperBound)
            while try rows.step() { found[try rows.storedInteger(0, column: "id")] = try rows.storedText(1, column: "pixels_hash") }
            return found
        }
    }

    /// The stored images with these hashes (`pixels.content_hash`) that the file has, by hash.
    public static func storedImages(_ images: DatabaseQueue, hashes: [String]) throws -> [String: StoredImage] {
        guard !hashes.isEmpty else { return [:] }
        return try images.readStored("pixels") { db in
            let lookup = try db.makeStatement(sql: "SELECT width, height, encoding, pixels FROM pixels WHERE content_hash = ?")
            var found: [String: StoredImage] = [:]
            for hash in hashes where found[hash] == nil {
                guard let row = try Row.fetchOne(lookup, arguments: [hash]) else { continue }
                guard let image = try storedImage(row) else {
                    throw StoredValueError(column: "encoding", expected: "raw or jpeg", found: "'\(try row.stored("encoding", as: String.self))'")
                }
                found[hash] = image
            }
            return found
        }
    }

    /// The stored image of a row of `pixels` read with its width, height, encoding and pixels;
    /// nil when the encoding is not one this Loom knows.
    public static func storedImage(_ row: Row) throws -> StoredImage? {
        guard let encoding = StoredImage.Encoding(rawValue: try row.stored("encoding")) else { return nil }
        return StoredImage(width: try row.stored("width"), height: try row.stored("height"), encoding: encoding,
                           pixels: try row.stored("pixels"))
    }
}
