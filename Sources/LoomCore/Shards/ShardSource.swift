import Foundation
import GRDB
import GRDBSQLite

/// One shard output, opened read-only on its own SQLite connection, whose rows a merge copies
/// value by value into the merged output. A merge runs in one transaction so that a failure or
/// a kill leaves every shard as it was, and SQLite refuses ATTACH inside a transaction; a
/// connection per shard also has no limit on the shard count (ATTACH stops at ten).
final class ShardSource {
    let path: String
    private let handle: OpaquePointer

    init(path: String) throws {
        self.path = path
        var opened: OpaquePointer?
        let status = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READONLY, nil)
        guard status == SQLITE_OK, let opened else {
            let reason = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "status \(status)"
            sqlite3_close_v2(opened)
            throw LoomError.inputMissing(path: path, reason: "cannot open as SQLite (\(reason))")
        }
        handle = opened
        sqlite3_busy_timeout(handle, 30_000)
        // Read through a memory map: a shard of stored images is read once, page by page, and
        // copying each page out of the kernel cost a tenth of the merge.
        sqlite3_exec(handle, "PRAGMA mmap_size = \(1 << 40)", nil, nil, nil)
    }

    deinit { sqlite3_close_v2(handle) }

    /// The definitions of the shard's own tables and indexes, as `StageOutput.tables` lists them.
    func tables() throws -> [String] {
        var definitions: [String] = []
        try forEachRow(StageOutput.tablesQuery(schema: "main")) { row in
            definitions.append(String(cString: sqlite3_column_text(row, 0)))
        }
        return definitions
    }

    /// Runs `select` on the shard and inserts each row it yields through `insert` (prepared on
    /// `db`, one parameter per selected column). Returns the rows
    /// copied. A constraint the insert breaks throws `DatabaseError` with SQLite's code.
    @discardableResult
    func copyRows(_ select: String, into db: Database, insert: String) throws -> Int {
        let target = try db.makeStatement(sql: insert)
        let output = target.sqliteStatement
        var copied = 0
        try forEachRow(select) { row in
            for column in 0..<sqlite3_column_count(row) {
                sqlite3_bind_value(output, column + 1, sqlite3_column_value(row, column))
            }
            let status = sqlite3_step(output)
            sqlite3_reset(output)
            guard status == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: status), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: insert)
            }
            copied += 1
        }
        sqlite3_clear_bindings(output)
        return copied
    }

    /// Steps `sql` on the shard, handing each row to `body` (valid until the next step).
    private func forEachRow(_ sql: String, _ body: (OpaquePointer) throws -> Void) throws {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw failure(sql)
        }
        defer { sqlite3_finalize(statement) }
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw failure(sql) }
            try body(statement)
        }
    }

    private func failure(_ sql: String) -> LoomError {
        .badInput(path: path, position: "reading for the merge", reason: "\(String(cString: sqlite3_errmsg(handle))) in '\(sql)'")
    }
}
