import GRDB
import LoomCore

/// Reads catalog items with what the earlier stages stored for them (the backbone features from
/// features.sqlite, the token ids from text.sqlite), in id order and a chunk at a time, so memory
/// stays flat over millions of items. Each source is read only when given.
public enum WorkItemReader {
    public static let chunkItems = 512

    /// The items after `after` in id order (at most `chunkItems`); empty at the end. `idWidth` is
    /// the text output's (`TokenizationMeta`).
    public static func chunk(after: Int64, catalog: DatabaseQueue, features: DatabaseQueue? = nil,
                             text: DatabaseQueue? = nil, idWidth: Int = 4) throws -> [WorkItem] {
        var items = try catalog.readStored("items") { db in
            try Row.fetchAll(db, sql: "SELECT id, asin FROM items WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, chunkItems])
                .map { WorkItem(id: try $0.stored("id"), asin: try $0.stored("asin")) }
        }
        guard let first = items.first?.id, let last = items.last?.id else { return [] }
        let index = Dictionary(items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        if let features {
            for (id, found) in try FeaturesReader.items(features, ids: first...last) {
                guard let slot = index[id] else { continue }
                (items[slot].visual, items[slot].imageHash) = (found.visual, found.imageHash)
            }
        }
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
