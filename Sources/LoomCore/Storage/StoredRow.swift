import GRDB

/// A stored value that is not what its file's format says (NULL where a value is required, text
/// where a number is): GRDB's `Row` subscripts stop the process on these, and a file a reader
/// opens may come from a user, another tool or a damaged disk.
public struct StoredValueError: Error, CustomStringConvertible {
    public var column: String
    public var expected: String
    public var found: String

    public init(column: String, expected: String, found: String) {
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String { "column \(column): \(found) where \(expected) is expected" }
}

extension Row {
    /// The value of `column`, or a `StoredValueError` when it is NULL, missing or of another type.
    public func stored<Value: DatabaseValueConvertible>(_ column: String, as type: Value.Type = Value.self) throws -> Value {
        guard let value = try storedIfPresent(column, as: type) else {
            throw StoredValueError(column: column, expected: "\(Value.self)", found: "NULL")
        }
        return value
    }

    /// The value of `column`, nil when it is NULL; a `StoredValueError` when it is of another type.
    public func storedIfPresent<Value: DatabaseValueConvertible>(_ column: String, as type: Value.Type = Value.self) throws -> Value? {
        let raw: DatabaseValue = self[column] ?? .null
        if raw.isNull { return nil }
        guard let value = Value.fromDatabaseValue(raw) else {
            throw StoredValueError(column: column, expected: "\(Value.self)", found: Self.kind(of: raw))
        }
        return value
    }

    private static func kind(of value: DatabaseValue) -> String {
        switch value.storage {
        case .null: "NULL"
        case .int64: "an integer"
        case .double: "a real"
        case .string: "text"
        case .blob: "a blob"
        }
    }
}

extension DatabaseReader {
    /// Reads `table` of the file at `path` in one transaction. A row that breaks the format
    /// (`StoredValueError`) or a table or column that is not there (SQLite's generic error, as in
    /// "no such table") becomes a bad-input error naming the file and table; other SQLite errors
    /// (busy, I/O) pass unchanged.
    public func readStored<T>(_ table: String, path: String, _ body: (Database) throws -> T) throws -> T {
        do {
            return try read(body)
        } catch let error as StoredValueError {
            throw LoomError.badInput(path: path, position: "table \(table), \(error.column)",
                                     reason: "\(error.found) where \(error.expected) is expected")
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            throw LoomError.badInput(path: path, position: "table \(table)",
                                     reason: "not the table a Loom output holds (\(error.message ?? "SQLite error"))")
        }
    }

    /// `readStored` at the file this reader opened.
    public func readStored<T>(_ table: String, _ body: (Database) throws -> T) throws -> T {
        try readStored(table, path: path, body)
    }
}
