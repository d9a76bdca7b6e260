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
            let rows = try BoundStatement(db, sql: "SELECT id, asin FROM items WHERE id > ? ORDER BY id LIMIT ?")
            rows.bind(1, after)
            rows.bind(2, Int64(chunkItems))
            var items: [WorkItem] = []
            while try rows.step() {
                items.append(WorkItem(id: try rows.storedInteger(0, column: "id"), asin: try rows.storedText(1, column: "asin")))
            }
            return items
        }
        guard let first = items.first?.id, let last = items.last?.id else { return [] }
        let index = Dictionary(items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        try text?.readStored("tokens") { db in
            let rows = try BoundStatement(db, sql: "SELECT id, ids FROM tokens WHERE id BETWEEN ? AND ?")
            rows.bind(1, first)
            rows.bind(2, last)
            while try rows.step() {
                guard let slot = index[try rows.storedInteger(0, column: "id")] else { continue }
                items[slot].tokens = TokenIDsBlob.decode(try rows.storedBlob(1, column: "ids"), width: idWidth)
            }
        }
        return items
    }
}
