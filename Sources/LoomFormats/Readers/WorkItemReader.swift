import GRDB
import LoomCore

/// Reads catalog items with their stored image (images.sqlite) and token ids (text.sqlite), in id
/// order and a chunk at a time, so memory stays flat over millions of items.
public enum WorkItemReader {
    public static let chunkItems = 512

    /// The items after `after` in id order (at most `chunkItems`); empty at the end.
    public static func chunk(after: Int64, catalog: DatabaseQueue, images: DatabaseQueue, text: DatabaseQueue,
                             idWidth: Int) throws -> [WorkItem] {
        var items = try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT id, asin FROM items WHERE id > ? ORDER BY id LIMIT ?", arguments: [after, chunkItems])
                .map { WorkItem(id: $0["id"], asin: $0["asin"]) }
        }
        guard let first = items.first?.id, let last = items.last?.id else { return [] }
        let index = Dictionary(uniqueKeysWithValues: items.enumerated().map { ($1.id, $0) })
        try images.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, width, height, encoding, pixels FROM images WHERE id BETWEEN ? AND ?",
                                           arguments: [first, last])
            while let row = try rows.next() {
                guard let slot = index[row["id"]] else { continue }
                items[slot].image = StoredImage(width: row["width"], height: row["height"], encoding: row["encoding"], pixels: row["pixels"])
            }
        }
        try text.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, ids FROM tokens WHERE id BETWEEN ? AND ?", arguments: [first, last])
            while let row = try rows.next() {
                guard let slot = index[row["id"]] else { continue }
                items[slot].tokens = TokenIDsBlob.decode(row["ids"], width: idWidth)
            }
        }
        return items
    }
}
