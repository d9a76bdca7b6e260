import CLoomKernels
import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Writes items and edges into `catalog.sqlite`. Item ids are given in order of first
/// appearance over all input files: by `items` itself in a whole run, and in a shard by a
/// temporary asin table that every shard fills the same way, so a shard's ids are the ids a whole
/// run gives and shard outputs merge into the same bytes.
/// What stays in memory per item is its asin's hash and id (`AsinIndex`, about 40 bytes). Each
/// co-purchase list is stored as one JSON array (one insert per list instead of one per edge) and
/// split again when edges are resolved at the end, when every asin is known.
final class CatalogWriter {
    /// The writer's scratch tables besides the catalog's own (`StageOutputFile.catalog.schema`).
    static let scratchSchema = """
        CREATE TEMP TABLE asins (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE);
        CREATE TEMP TABLE raw_lists (src INTEGER NOT NULL, kind INTEGER NOT NULL, dsts TEXT NOT NULL);
        """

    static let edgeKinds = EdgeKind.allCases.map(\.rawValue)

    private let db: Database
    /// Whether every asin becomes an item here (no shard). `items` then numbers the asins itself;
    /// a shard registers every asin in the temporary `asins` table, so that its ids are the ids
    /// of a whole run, and inserts only its own items.
    private let wholeCatalog: Bool
    private let register: BoundStatement
    /// A whole catalog's insert: the id is the next rowid, a known asin is ignored.
    private let insertNewItem: BoundStatement
    private let insertItem: BoundStatement
    private let fillItem: BoundStatement
    private let insertEdge: BoundStatement

    /// Every asin given an id, for duplicates and for `finish` to resolve edge targets.
    private var known = AsinIndex()
    private(set) var duplicates = 0
    /// Edge targets as listed, per kind, before the dangling filter.
    private var listed: [Int] = Array(repeating: 0, count: CatalogWriter.edgeKinds.count)
    /// Items stored, and those without an image or a title, counted as they are inserted; exact
    /// unless a duplicate line filled a missing field (then `finish` counts the table).
    private var stored = (items: 0, withoutImage: 0, withoutTitle: 0)
    private var filledFromDuplicates = false

    init(_ db: Database, wholeCatalog: Bool) throws {
        self.db = db
        self.wholeCatalog = wholeCatalog
        register = try BoundStatement(db, sql: "INSERT OR IGNORE INTO asins (asin) VALUES (?)")
        insertNewItem = try BoundStatement(db, sql: """
            INSERT OR IGNORE INTO items (asin, title, description, brand, price, category, type, image, image_url, source, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertItem = try BoundStatement(db, sql: """
            INSERT INTO items (id, asin, title, description, brand, price, category, type, image, image_url, source, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        fillItem = try BoundStatement(db, sql: """
            UPDATE items SET title = COALESCE(title, ?), description = COALESCE(description, ?), brand = COALESCE(brand, ?),
                price = COALESCE(price, ?), category = COALESCE(category, ?),
                type = CASE WHEN type = 'other' THEN ? ELSE type END,
                image = COALESCE(image, ?), image_url = COALESCE(image_url, ?)
            WHERE id = ?
            """)
        insertEdge = try BoundStatement(db, sql: "INSERT INTO raw_lists (src, kind, dsts) VALUES (?, ?, ?)")
    }

    static func createSchema(_ db: Database) throws {
        try db.execute(sql: StageOutputFile.catalog.schema + "\n" + CatalogWriter.scratchSchema)
    }

    enum Outcome {
        case added
        case duplicate
        case otherShard
    }

    /// Adds one item (or fills the gaps of an earlier one with the same asin).
    func add(_ item: CatalogItem, source: String, line: Int, inShard: Bool) throws -> Outcome {
        // Inserting first: a new asin (the usual case) then costs one index probe, not two; only
        // a duplicate is looked up.
        if wholeCatalog {
            insertNewItem.bind(1, item.asin)
            bindFields(insertNewItem, item, from: 2)
            insertNewItem.bind(10, source)
            insertNewItem.bind(11, Int64(line))
            try insertNewItem.run()
        } else {
            register.bind(1, item.asin)
            try register.run()
        }
        let isNew = db.changesCount == 1
        if isNew { known.insert(item.asin, id: db.lastInsertedRowID) }
        let id: Int64
        if !isNew {
            guard let existing = known.id(of: item.asin) else { throw LoomError.internalError("asin \(item.asin) neither new nor known") }
            id = existing
            if inShard {
                duplicates += 1
                bindFields(fillItem, item, from: 1)
                fillItem.bind(9, id)
                try fillItem.run()
                filledFromDuplicates = true
            }
        } else {
            id = db.lastInsertedRowID
            if !wholeCatalog, inShard {   // a whole run's insert above was the item itself
                insertItem.bind(1, id)
                insertItem.bind(2, item.asin)
                bindFields(insertItem, item, from: 3)
                insertItem.bind(11, source)
                insertItem.bind(12, Int64(line))
                try insertItem.run()
            }
        }
        if inShard {
            if isNew {
                stored.items += 1
                if item.image == nil { stored.withoutImage += 1 }
                if item.title == nil { stored.withoutTitle += 1 }
            }
            insertEdge.bind(1, id)
            for (index, targets) in [item.alsoBought, item.boughtTogether, item.alsoViewed].enumerated() where !targets.isEmpty {
                listed[index] += targets.count
                insertEdge.bind(2, Int64(index))
                insertEdge.bind(3, utf8: CatalogWriter.jsonArray(targets))
                try insertEdge.run()
            }
        }
        guard inShard else { return .otherShard }
        return isNew ? .added : .duplicate
    }

    /// title, description, brand, price, category, type, image, image_url at `first`…`first + 7`
    /// (the order both the insert and the fill statement use).
    private func bindFields(_ statement: BoundStatement, _ item: CatalogItem, from first: Int32) {
        statement.bind(first, item.title)
        statement.bind(first + 1, item.description)
        statement.bind(first + 2, item.brand)
        statement.bind(first + 3, item.price)
        statement.bind(first + 4, item.category)
        statement.bind(first + 5, item.type)
        statement.bind(first + 6, item.image)
        statement.bind(first + 7, item.imageURL)
    }

    /// `["a","b"]` as UTF-8, escaped as JSON requires (built on bytes: lists are long and many).
    static func jsonArray(_ values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(values.reduce(2) { $0 + $1.utf8.count + 3 })
        out.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\""))
            let copied = value.utf8.withContiguousStorageIfAvailable { bytes in
                // An asin needs no escaping: copied whole.
                guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return false }
                out.append(contentsOf: bytes)
                return true
            }
            if copied != true {
                for byte in value.utf8 {
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
                    case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
                    default: out.append(byte)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "]"))
        return out
    }

    /// Calls `body` with each string of an array as `jsonArray` writes it, unescaped: the ends of
    /// the strings are found as the record parser finds them (`loom_json_string_end`), and the
    /// rare escaped one is decoded by its `unescape`.
    static func forEachString(inJSONArray text: UnsafeBufferPointer<UInt8>,
                              _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        func malformed() -> LoomError { .internalError("malformed co-purchase list in raw_lists: \(String(decoding: text, as: UTF8.self))") }
        guard text.count >= 2, let base = text.baseAddress, text.first == UInt8(ascii: "["), text.last == UInt8(ascii: "]") else {
            throw malformed()
        }
        var index = 1
        let end = text.count - 1
        while index < end {
            guard text[index] == UInt8(ascii: "\"") else { throw malformed() }
            let start = index + 1
            let quote = start + loom_json_string_end(base + start, end - start, nil)
            guard quote < end else { throw malformed() }
            let string = UnsafeBufferPointer(start: base + start, count: quote - start)
            if memchr(base + start, Int32(UInt8(ascii: "\\")), string.count) == nil {
                try body(string)
            } else {
                guard var decoded = try? JSONRecordParser.unescape(string, offset: start) else { throw malformed() }
                try decoded.withUTF8 { try body($0) }
            }
            index = quote + 1
            if index < end {
                guard text[index] == UInt8(ascii: ",") else { throw malformed() }
                index += 1
            }
        }
    }

    /// Resolves edge targets to item ids, keeping list order per item; edges to asins outside the catalog
    /// are counted and left out (in real dumps most are). Returns counts for the report.
    func finish() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for (index, kind) in CatalogWriter.edgeKinds.enumerated() { counts["listed_\(kind)"] = listed[index] }
        // By source item, then in line order: a duplicate line's lists join its item's, so each
        // item's edges lie together in the same order whole or in a shard, and shards merge.
        // Without duplicate lines the lists were stored in that order (ids follow the lines).
        let lists = try BoundStatement(db, sql: "SELECT src, kind, dsts FROM raw_lists ORDER BY \(duplicates == 0 ? "rowid" : "src, rowid")")
        let insert = try BoundStatement(db, sql: "INSERT INTO edges (src, dst, kind) VALUES (?, ?, ?)")
        var resolved = 0
        var edges = Array(repeating: 0, count: CatalogWriter.edgeKinds.count)
        // Each edge once: the lists of one source item come together, so the pairs it has are
        // enough to drop a repeat (no unique index to maintain over millions of rows).
        struct Edge: Hashable {
            var target: Int64
            var kind: Int
        }
        var source = Int64.min
        var seen = Set<Edge>()
        while try lists.step() {
            if lists.integer(0) != source {
                source = lists.integer(0)
                seen.removeAll(keepingCapacity: true)
            }
            let kind = Int(lists.integer(1))
            guard CatalogWriter.edgeKinds.indices.contains(kind) else { throw LoomError.internalError("edge kind \(kind) in raw_lists") }
            try CatalogWriter.forEachString(inJSONArray: lists.textBytes(2)) { target in
                guard let id = known.id(of: target) else { return }
                resolved += 1
                guard seen.insert(Edge(target: id, kind: kind)).inserted else { return }
                edges[kind] += 1
                insert.bind(1, source)
                insert.bind(2, id)
                insert.bind(3, CatalogWriter.edgeKinds[kind])
                try insert.run()
            }
        }
        counts["dangling_edges"] = listed.reduce(0, +) - resolved
        for (index, kind) in CatalogWriter.edgeKinds.enumerated() { counts["edges_\(kind)"] = edges[index] }
        // Counted on the way in, unless duplicates filled fields: then one pass over items (it
        // cost 1.5 % of ingest). The temporary tables go with the connection when the output is
        // committed; dropping them first only cost time.
        if filledFromDuplicates {
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(*) AS items, SUM(image IS NULL) AS without_image, SUM(title IS NULL) AS without_title FROM items
                """)
            stored = (row?["items"] ?? 0, row?["without_image"] ?? 0, row?["without_title"] ?? 0)
        }
        counts["items"] = stored.items
        counts["items_without_image"] = stored.withoutImage
        counts["items_without_title"] = stored.withoutTitle
        return counts
    }
}
