import Foundation
import GRDB
import LoomCore

/// Reads `images.sqlite` by item: which stored image each item has (its `pixels_hash`, without
/// the pixels), and the stored images themselves for the items that need them.
public enum ImagesReader {
    /// The stored image hash of the items with ids in `ids` that have an image, by id.
    public static func pixelHashes(_ images: DatabaseQueue, ids: ClosedRange<Int64>) throws -> [Int64: String] {
        try images.readStored("images") { db in
            var found: [Int64: String] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT id, pixels_hash FROM images WHERE id BETWEEN ? AND ?",
                                           arguments: [ids.lowerBound, ids.upperBound])
            while let row = try rows.next() { found[try row.stored("id")] = try row.stored("pixels_hash") }
            return found
        }
    }

    /// The stored images of `ids` (those that have one), by id.
    public static func storedImages(_ images: DatabaseQueue, ids: [Int64]) throws -> [Int64: StoredImage] {
        guard !ids.isEmpty else { return [:] }
        return try images.readStored("images") { db in
            let lookup = try db.makeStatement(sql: "SELECT width, height, encoding, pixels FROM images WHERE id = ?")
            var found: [Int64: StoredImage] = [:]
            for id in ids {
                guard let row = try Row.fetchOne(lookup, arguments: [id]) else { continue }
                guard let image = try storedImage(row) else {
                    throw StoredValueError(column: "encoding", expected: "raw or jpeg", found: "'\(try row.stored("encoding", as: String.self))'")
                }
                found[id] = image
            }
            return found
        }
    }

    /// The stored image of a row of `images` read with its width, height, encoding and pixels;
    /// nil when the encoding is not one this Loom knows.
    public static func storedImage(_ row: Row) throws -> StoredImage? {
        guard let encoding = StoredImage.Encoding(rawValue: try row.stored("encoding")) else { return nil }
        return StoredImage(width: try row.stored("width"), height: try row.stored("height"), encoding: encoding,
                           pixels: try row.stored("pixels"))
    }
}
