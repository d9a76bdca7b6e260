import GRDB
import LoomCore

/// Reads catalog items with their token ids from text.sqlite (when given), in id order and a
/// chunk at a time, so memory stays flat over millions of items. Their backbone features are read
/// by image hash from features.sqlite (`FeaturesReader`) by the stages that need them.
public enum WorkItemReader {
    public static let chunkItems = 512

    /// The items after `after` in id order (at most `chunkItems`); empty at the end. `idWidth` is
    /// the text output's (`TokenizationMeta`).
    public static func chunk(after: Int64, catalog: DatabaseQueue, text: DatabaseQueue? = nil, idWidth: Int = 4) throws -> [WorkItem] {
        var items = try catalog.readStored("items") { db in
            try Row.fetchAll(db, sql: "SELECT id, asin FROM items WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, chunkItems])
                .map { WorkItem(id: try $0.stored("id"), asin: try $0.stored("asin")) }
        }
        guard let first = items.first?.id, let last = items.last?.id else { return [] }
        let index = Dictionary(items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        try text?.readStored("tokens") { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, ids FROM tokens WHERE id BETWEEN ? AND ?", arguments: [first, last])
            while let row = try rows.next() {
                guard let slot = index[try row.stored("id")] else { continue }
                items[slot].tokens = TokenIDsBlob.decode(try row.stored("ids"), width: idWidth)
            }
        }
        return items
    }
}
