import GRDB
import LoomCore

/// Writes items and edges into `catalog.sqlite`. Item ids are given in order of first
/// appearance over all input files, from a temporary asin table that every shard fills the same
/// way, so a shard's ids are the ids a whole run gives and shard outputs merge into the same bytes.
/// Nothing per item stays in memory: memory is flat however large the catalog.
final class CatalogWriter {
    static let schema = """
        CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            asin TEXT NOT NULL UNIQUE,
            title TEXT,
            description TEXT,
            brand TEXT,
            price REAL,
            category TEXT,
            type TEXT NOT NULL,
            image TEXT,
            image_url TEXT,
            source TEXT NOT NULL,
            line INTEGER NOT NULL
        );
        CREATE TABLE edges (
            src INTEGER NOT NULL,
            dst INTEGER NOT NULL,
            kind TEXT NOT NULL,
            UNIQUE (src, dst, kind)
        );
        CREATE TEMP TABLE asins (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE);
        CREATE TEMP TABLE raw_edges (src INTEGER NOT NULL, dst TEXT NOT NULL, kind TEXT NOT NULL);
        """

    static let edgeKinds = ["also_bought", "bought_together", "also_viewed"]

    private let db: Database
    private let lookup: Statement
    private let register: Statement
    private let insertItem: Statement
    private let fillItem: Statement
    private let insertEdge: Statement

    private(set) var items = 0
    private(set) var duplicates = 0

    init(_ db: Database) throws {
        self.db = db
        lookup = try db.makeStatement(sql: "SELECT id FROM asins WHERE asin = ?")
        register = try db.makeStatement(sql: "INSERT INTO asins (asin) VALUES (?)")
        insertItem = try db.makeStatement(sql: """
            INSERT INTO items (id, asin, title, description, brand, price, category, type, image, image_url, source, line)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        fillItem = try db.makeStatement(sql: """
            UPDATE items SET title = COALESCE(title, ?), description = COALESCE(description, ?), brand = COALESCE(brand, ?),
                price = COALESCE(price, ?), category = COALESCE(category, ?),
                type = CASE WHEN type = 'other' THEN ? ELSE type END,
                image = COALESCE(image, ?), image_url = COALESCE(image_url, ?)
            WHERE id = ?
            """)
        insertEdge = try db.makeStatement(sql: "INSERT INTO raw_edges (src, dst, kind) VALUES (?, ?, ?)")
    }

    static func createSchema(_ db: Database) throws {
        try db.execute(sql: schema)
    }

    enum Outcome {
        case added
        case duplicate
        case otherShard
    }

    /// Adds one item (or fills the gaps of an earlier one with the same asin).
    func add(_ item: CatalogItem, source: String, line: Int, inShard: Bool) throws -> Outcome {
        let existing = try Int64.fetchOne(lookup, arguments: [item.asin])
        let id: Int64
        if let existing {
            id = existing
            duplicates += 1
            if inShard {
                try fillItem.execute(arguments: [item.title, item.description, item.brand, item.price, categoryText(item),
                                                 item.type, item.image, item.imageURL, id])
            }
        } else {
            try register.execute(arguments: [item.asin])
            id = db.lastInsertedRowID
            if inShard {
                try insertItem.execute(arguments: [id, item.asin, item.title, item.description, item.brand, item.price,
                                                   categoryText(item), item.type, item.image, item.imageURL, source, line])
                items += 1
            }
        }
        if inShard {
            for (kind, targets) in zip(CatalogWriter.edgeKinds, [item.alsoBought, item.boughtTogether, item.alsoViewed]) {
                for target in targets { try insertEdge.execute(arguments: [id, target, kind]) }
            }
        }
        guard inShard else { return .otherShard }
        return existing == nil ? .added : .duplicate
    }

    private func categoryText(_ item: CatalogItem) -> String? {
        item.category.isEmpty ? nil : item.category.joined(separator: " > ")
    }

    /// Resolves edge targets to item ids; edges to asins outside the catalog are counted and
    /// left out. Returns counts for the report.
    func finish() throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for kind in CatalogWriter.edgeKinds {
            counts["listed_\(kind)"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM raw_edges WHERE kind = ?", arguments: [kind]) ?? 0
        }
        counts["dangling_edges"] = try Int.fetchOne(db, sql: """
            SELECT COUNT(*) FROM raw_edges r WHERE NOT EXISTS (SELECT 1 FROM asins a WHERE a.asin = r.dst)
            """) ?? 0
        try db.execute(sql: """
            INSERT OR IGNORE INTO edges (src, dst, kind)
            SELECT r.src, a.id, r.kind FROM raw_edges r JOIN asins a ON a.asin = r.dst ORDER BY r.rowid
            """)
        for kind in CatalogWriter.edgeKinds {
            counts["edges_\(kind)"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM edges WHERE kind = ?", arguments: [kind]) ?? 0
        }
        counts["items"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items") ?? 0
        counts["items_without_image"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE image IS NULL") ?? 0
        counts["items_without_title"] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items WHERE title IS NULL") ?? 0
        try db.execute(sql: "DROP TABLE temp.raw_edges; DROP TABLE temp.asins")
        return counts
    }
}
