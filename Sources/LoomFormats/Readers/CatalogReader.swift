import Foundation
import GRDB
import LoomCore

/// Reads `catalog.sqlite`'s `items` for later stages, in id order and a chunk at a time where a
/// catalog can hold millions of items.
public enum CatalogReader {
    /// Items after `after` in id order (at most `limit`), with every text field; empty at the end.
    public static func items(_ catalog: DatabaseQueue, after: Int64, limit: Int) throws -> [CatalogItem] {
        try items(catalog, after: after, limit: limit, columns: "id, asin, title, description, brand, category, type, image") { row in
            CatalogItem(id: try row.storedInteger(0, column: "id"), asin: try row.storedText(1, column: "asin"),
                        title: try row.storedTextIfPresent(2, column: "title"), description: try row.storedTextIfPresent(3, column: "description"),
                        brand: try row.storedTextIfPresent(4, column: "brand"), category: try row.storedTextIfPresent(5, column: "category"),
                        type: try row.storedText(6, column: "type"), image: try row.storedTextIfPresent(7, column: "image"))
        }
    }

    /// `columns` of the items after `after` in id order (at most `limit`), each made into an item by `make`.
    private static func items(_ catalog: DatabaseQueue, after: Int64, limit: Int, columns: String,
                              _ make: (BoundStatement) throws -> CatalogItem) throws -> [CatalogItem] {
        try catalog.readStored("items") { db in
            let rows = try BoundStatement(db, sql: "SELECT \(columns) FROM items WHERE id > ? ORDER BY id LIMIT ?")
            rows.bind(1, after)
            rows.bind(2, Int64(limit))
            var items: [CatalogItem] = []
            while try rows.step() { items.append(try make(rows)) }
            return items
        }
    }

    /// Every item in id order, `chunk` at a time (memory stays flat).
    public static func forEachChunk(_ catalog: DatabaseQueue, chunk: Int = 4096, _ body: ([CatalogItem]) throws -> Void) throws {
        var after = Int64.min
        while true {
            let items = try items(catalog, after: after, limit: chunk)
            guard let last = items.last else { return }
            try body(items)
            after = last.id
        }
    }

    /// What an index lists of the items after `after` (no description or brand), at most `limit`.
    public static func listings(_ catalog: DatabaseQueue, after: Int64, limit: Int) throws -> [CatalogItem] {
        try items(catalog, after: after, limit: limit, columns: "id, asin, category, title, image, type") { row in
            CatalogItem(id: try row.storedInteger(0, column: "id"), asin: try row.storedText(1, column: "asin"),
                        title: try row.storedTextIfPresent(3, column: "title"), category: try row.storedTextIfPresent(2, column: "category"),
                        type: try row.storedText(5, column: "type"), image: try row.storedTextIfPresent(4, column: "image"))
        }
    }

    /// An item's image file, as ingest resolved it.
    public struct ItemImage: Sendable {
        public var id: Int64
        public var asin: String
        public var path: String
    }

    /// The items that have an image file, in id order: their own, or for an item without one, the
    /// photo fetched from its URL (`fetched`, by id: `FetchReader.fetchedPhotos`).
    public static func itemImages(_ catalog: DatabaseQueue, fetched: [Int64: String] = [:]) throws -> [ItemImage] {
        try catalog.readStored("items") { db in
            let rows = try BoundStatement(db, sql: "SELECT id, asin, image FROM items \(fetched.isEmpty ? "WHERE image IS NOT NULL " : "")ORDER BY id")
            var items: [ItemImage] = []
            while try rows.step() {
                let id = try rows.storedInteger(0, column: "id")
                guard let path = try rows.storedTextIfPresent(2, column: "image") ?? fetched[id] else { continue }
                items.append(ItemImage(id: id, asin: try rows.storedText(1, column: "asin"), path: path))
            }
            return items
        }
    }

    /// An item without an image file whose record names a photo URL (stage fetch's work).
    public struct ItemPhotoURL: Sendable {
        public var id: Int64
        public var asin: String
        public var url: String
    }

    /// The items after `after` in id order (at most `limit`) that have an image URL and no image
    /// file; empty at the end.
    public static func photoURLs(_ catalog: DatabaseQueue, after: Int64, limit: Int) throws -> [ItemPhotoURL] {
        try catalog.readStored("items") { db in
            let rows = try BoundStatement(db, sql: """
                SELECT id, asin, image_url FROM items WHERE id > ? AND image IS NULL AND image_url IS NOT NULL ORDER BY id LIMIT ?
                """)
            rows.bind(1, after)
            rows.bind(2, Int64(limit))
            var items: [ItemPhotoURL] = []
            while try rows.step() {
                items.append(ItemPhotoURL(id: try rows.storedInteger(0, column: "id"), asin: try rows.storedText(1, column: "asin"),
                                          url: try rows.storedText(2, column: "image_url")))
            }
            return items
        }
    }

    /// The folders that hold the items' image files, sorted.
    public static func imageFolders(_ catalog: DatabaseQueue) throws -> [String] {
        try catalog.readStored("items") { db in
            // rtrim(path, <every character but '/'>) leaves the path up to its last '/': SQLite
            // does the splitting and the distinct, not a Foundation call per item.
            try Row.fetchAll(db, sql: """
                SELECT DISTINCT rtrim(image, replace(image, '/', '')) AS folder FROM items WHERE image IS NOT NULL
                """).map { row in
                let folder = try row.stored("folder", as: String.self)
                return folder.count > 1 && folder.hasSuffix("/") ? String(folder.dropLast()) : folder
            }.sorted()
        }
    }

    public static func itemCount(_ catalog: DatabaseQueue) throws -> Int {
        try catalog.readStored("items") { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0 }
    }

    /// The items of `shard` without an image file (counted per shard, so shards add up).
    public static func countWithoutImage(_ catalog: DatabaseQueue, shard: Shard = .whole) throws -> Int {
        try catalog.readStored("items") { db in
            guard !shard.isWhole else { return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE image IS NULL") ?? 0 }
            return try String.fetchAll(db, sql: "SELECT asin FROM items WHERE image IS NULL").count { shard.contains(key: $0) }
        }
    }

    /// Every item's id, asin and coarse type, in id order (the co-purchase graph of millions of items).
    public static func forEachItemType(_ catalog: DatabaseQueue, _ body: (_ id: Int64, _ asin: String, _ type: String) throws -> Void) throws {
        try catalog.readStored("items") { db in
            let items = try BoundStatement(db, sql: "SELECT id, asin, type FROM items ORDER BY id")
            while try items.step() {
                try body(items.integer(0), String(decoding: items.textBytes(1), as: UTF8.self), String(decoding: items.textBytes(2), as: UTF8.self))
            }
        }
    }

    /// At least the number of edges, read in constant time (the largest rowid: edges are only
    /// ever appended), for sizing arrays of millions of them once.
    public static func edgeCountBound(_ catalog: DatabaseQueue) throws -> Int {
        try catalog.readStored("edges") { db in try Int.fetchOne(db, sql: "SELECT COALESCE(MAX(rowid), 0) FROM edges") ?? 0 }
    }

    /// Every edge in storage order, with its kind (nil for a kind this Loom does not know): tens of
    /// millions in a real dump, read without making a String per edge.
    public static func forEachEdge(_ catalog: DatabaseQueue, _ body: (_ src: Int64, _ dst: Int64, _ kind: EdgeKind?) throws -> Void) throws {
        try catalog.readStored("edges") { db in
            let edges = try BoundStatement(db, sql: "SELECT src, dst, kind FROM edges")
            while try edges.step() {
                try body(edges.integer(0), edges.integer(1), EdgeKind(utf8: edges.textBytes(2)))
            }
        }
    }

    /// Each item's coarse type, by id.
    public static func types(_ catalog: DatabaseQueue) throws -> [Int64: String] {
        var types: [Int64: String] = [:]
        try forEachItemType(catalog) { id, _, type in types[id] = type }
        return types
    }
}
