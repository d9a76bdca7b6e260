import Foundation
import GRDB
import GRDBSQLite

/// A GRDB prepared statement driven through the SQLite C API: bind, step, reset. At ingest's
/// rate (hundreds of thousands of rows a second) building GRDB argument arrays costs more than
/// the insert itself. Keeps the GRDB statement alive for its handle.
public final class BoundStatement {
    private let statement: Statement
    private let handle: OpaquePointer
    private let database: Database
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    public init(_ db: Database, sql: String) throws {
        statement = try db.makeStatement(sql: sql)
        handle = statement.sqliteStatement
        database = db
    }

    public func bind(_ index: Int32, _ text: String?) {
        guard var text else {
            sqlite3_bind_null(handle, index)
            return
        }
        text.withUTF8 { utf8 in
            _ = sqlite3_bind_text(handle, index, utf8.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(utf8.count), BoundStatement.transient)
        }
    }

    /// Text given as UTF-8 bytes.
    public func bind(_ index: Int32, utf8: [UInt8]) {
        utf8.withUnsafeBufferPointer { bytes in
            _ = sqlite3_bind_text(handle, index, bytes.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self) },
                                  Int32(bytes.count), BoundStatement.transient)
        }
    }

    /// Text given as UTF-8 bytes in a buffer (copied by SQLite).
    public func bind(_ index: Int32, utf8 bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return bind(index, "") }   // empty text, not NULL
        _ = sqlite3_bind_text(handle, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(bytes.count),
                              BoundStatement.transient)
    }

    public func bind(_ index: Int32, _ number: Int64) {
        sqlite3_bind_int64(handle, index, number)
    }

    /// An integer, or NULL.
    public func bind(_ index: Int32, _ number: Int64?) {
        if let number { sqlite3_bind_int64(handle, index, number) } else { sqlite3_bind_null(handle, index) }
    }

    public func bind(_ index: Int32, _ data: Data) {
        data.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), BoundStatement.transient)
        }
    }

    public func bind(_ index: Int32, _ number: Double?) {
        if let number { sqlite3_bind_double(handle, index, number) } else { sqlite3_bind_null(handle, index) }
    }

    /// Runs a statement that returns no rows.
    public func run() throws {
        defer { sqlite3_reset(handle) }
        let status = sqlite3_step(handle)
        guard status == SQLITE_DONE else { throw error(status) }
    }

    /// Runs a query and returns the first column of its first row as an integer, if any.
    public func firstInteger() throws -> Int64? {
        defer { sqlite3_reset(handle) }
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return sqlite3_column_int64(handle, 0)
        case SQLITE_DONE: return nil
        default: throw error(status)
        }
    }

    /// Runs a query and reads its first row, if any, with `read` (through `integer(_:)` and
    /// `textBytes(_:)`); the statement is reset for reuse.
    public func firstRow<T>(_ read: (BoundStatement) throws -> T) throws -> T? {
        defer { sqlite3_reset(handle) }
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return try read(self)
        case SQLITE_DONE: return nil
        default: throw error(status)
        }
    }

    /// Steps a query: true while it yields a row (read it with `integer(_:)`), false at the end,
    /// when the statement is reset for reuse.
    public func step() throws -> Bool {
        let status = sqlite3_step(handle)
        switch status {
        case SQLITE_ROW: return true
        case SQLITE_DONE:
            sqlite3_reset(handle)
            return false
        default:
            sqlite3_reset(handle)
            throw error(status)
        }
    }

    /// Column `index` of the current row as raw UTF-8 (valid until the next step), or empty.
    public func textBytes(_ index: Int32) -> UnsafeBufferPointer<UInt8> {
        guard let text = sqlite3_column_text(handle, index) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, index)))
    }

    /// Column `index` of the current row as text; a `StoredValueError` naming `column` when it is
    /// NULL or not text (as `Row.stored` for GRDB rows: readers of files a user names).
    public func storedText(_ index: Int32, column: String) throws -> String {
        guard let text = try storedTextIfPresent(index, column: column) else {
            throw StoredValueError(column: column, expected: "String", found: "NULL")
        }
        return text
    }

    /// Column `index` as text, nil when NULL; a `StoredValueError` when of another type.
    public func storedTextIfPresent(_ index: Int32, column: String) throws -> String? {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: return nil
        case SQLITE_TEXT: return String(decoding: textBytes(index), as: UTF8.self)
        case let type: throw StoredValueError(column: column, expected: "String", found: Self.kind(type))
        }
    }

    /// Column `index` as an integer; a `StoredValueError` when NULL or of another type.
    public func storedInteger(_ index: Int32, column: String) throws -> Int64 {
        let type = sqlite3_column_type(handle, index)
        guard type == SQLITE_INTEGER else { throw StoredValueError(column: column, expected: "Int64", found: Self.kind(type)) }
        return integer(index)
    }

    /// Column `index` as bytes; a `StoredValueError` when NULL or of another type.
    public func storedBlob(_ index: Int32, column: String) throws -> Data {
        let type = sqlite3_column_type(handle, index)
        guard type == SQLITE_BLOB else { throw StoredValueError(column: column, expected: "Data", found: Self.kind(type)) }
        return blob(index)
    }

    private static func kind(_ type: Int32) -> String {
        switch type {
        case SQLITE_NULL: "NULL"
        case SQLITE_INTEGER: "an integer"
        case SQLITE_FLOAT: "a real"
        case SQLITE_TEXT: "text"
        default: "a blob"
        }
    }

    /// Column `index` of the current row as bytes (a copy), or empty.
    public func blob(_ index: Int32) -> Data {
        guard let bytes = sqlite3_column_blob(handle, index) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(handle, index)))
    }

    /// Copies column `index` of the current row, a blob of exactly `byteCount` bytes, to
    /// `destination`; false when it is not a blob of that size.
    public func copyBlob(_ index: Int32, to destination: UnsafeMutableRawPointer, byteCount: Int) -> Bool {
        guard sqlite3_column_type(handle, index) == SQLITE_BLOB, let bytes = sqlite3_column_blob(handle, index),
              Int(sqlite3_column_bytes(handle, index)) == byteCount else { return false }
        destination.copyMemory(from: bytes, byteCount: byteCount)
        return true
    }

    /// Whether column `index` of the current row is NULL.
    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(handle, index) == SQLITE_NULL
    }

    /// Column `index` of the current row as an integer.
    public func integer(_ index: Int32) -> Int64 {
        sqlite3_column_int64(handle, index)
    }

    private func error(_ status: Int32) -> LoomError {
        let message = String(cString: sqlite3_errmsg(database.sqliteConnection))
        return .internalError("SQLite error \(status) in '\(statement.sql)': \(message)")
    }
}
