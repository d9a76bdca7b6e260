import CXXHash
import Crypto
import Foundation
import GRDB
import GRDBSQLite

/// Content hashes that decide whether a stage is fresh: input files by `FileContentHasher`,
/// everything else (outputs' content, settings, directory listings) by SHA-256, hex-encoded.
public enum ContentHash {
    /// The bytes of one file as stored (a .gz is hashed compressed), read in 1 MiB blocks:
    /// constant memory for multi-GB catalogs.
    public static func file(atPath path: String) throws -> String {
        let source = try ByteSource(path: path, decompress: false)
        let hasher = FileContentHasher()
        var block: [UInt8] = []
        block.reserveCapacity(1 << 20)
        while try source.read(appendingTo: &block, maximum: 1 << 20) > 0 {
            block.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            block.removeAll(keepingCapacity: true)
        }
        return hasher.finalize()
    }

    /// A directory of many files (an image folder): the sorted list of relative names with sizes
    /// and modification times. Rehashing every image each night would cost minutes for nothing;
    /// a changed, replaced, added or removed file changes its entry.
    public static func directory(atPath path: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoomError.inputMissing(path: path, reason: "not a directory")
        }
        var listing: [UInt8] = []
        for entry in try DirectoryWalk.files(under: path).sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            listing.append(contentsOf: entry.name.utf8)
            listing.append(contentsOf: "\t\(entry.size)\t\(entry.modifiedSeconds).".utf8)
            let nanoseconds = String(entry.modifiedNanoseconds)
            listing.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 9 - nanoseconds.utf8.count))
            listing.append(contentsOf: nanoseconds.utf8)
            listing.append(0x0A)
        }
        return hex(SHA256.hash(data: listing))
    }

    public static func string(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The column by which a table declares itself a set of self-hashed rows: each row's
    /// `content_hash` is the hash of its other columns, written by the stage that made it.
    public static let contentHashColumn = "content_hash"

    /// The content of a stage output: every table except `meta` and the `cache_*` tables (facts
    /// about the inputs that spare the next run work, such as file stamps), in name order, rows in rowid
    /// order, each value tagged with its storage class. A table with a `content_hash` column
    /// counts as the sorted list of those hashes instead: its rows' order is not part of its
    /// content (a rerun that copied the previous output and added rows has them in another
    /// order), and reading a gigabyte of stored images again to learn what their hashes already
    /// say cost more than the rest of a night's rerun. `rejects` counts as its rows without their
    /// ids, sorted (a merge of shards holds them in another order). A table without a primary key
    /// (co-purchase edges) is a set of rows whose order means nothing: it counts as its number of
    /// rows and the sum (mod 2^128) of each row's XXH3-128, so a merge may append shards' rows in
    /// any order and no sort of tens of millions of rows is needed. Independent of run times, page layout and
    /// the SQLite version, so downstream stages see "same content" when a rerun changed nothing.
    /// Hashes a buffer in 256 kB blocks: outputs hold tens of millions of rows.
    public static func database(_ db: Database) throws -> String {
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 18)
        func drain(_ bytes: inout [UInt8]) {
            bytes.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            bytes.removeAll(keepingCapacity: true)
        }
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'meta'
                AND substr(name, 1, 6) != 'cache_'
            ORDER BY name
            """)
        for table in tables {
            let columns = try db.columns(in: table)
            if columns.contains(where: { $0.name == contentHashColumn }) {
                // A set of rows that each carry their own hash: their hashes stand for them.
                buffer.append(contentsOf: Array("table \(table) by \(contentHashColumn)\n".utf8))
                let hashes = try String.fetchCursor(db, sql: """
                    SELECT \(contentHashColumn) FROM \(table.quotedDatabaseIdentifier) ORDER BY \(contentHashColumn)
                    """)
                while let hash = try hashes.next() {
                    buffer.append(contentsOf: Array(hash.utf8))
                    buffer.append(0x0A)
                    if buffer.count >= 1 << 18 { drain(&buffer) }
                }
                continue
            }
            if isRowSet(columns) {
                let (rows, sum) = try rowSetHash(db, table: table)
                buffer.append(contentsOf: Array("table \(table) as a set of \(rows) rows \(sum.high64) \(sum.low64)\n".utf8))
                continue
            }
            buffer.append(contentsOf: Array("table \(table)\n".utf8))
            // Rejects count as a set too: shards record theirs apart, and a merge cannot restore
            // the order a whole run met them in (nor does any reader depend on it).
            let rows = table == "rejects"
                ? "SELECT stage, source, position, reason, detail FROM rejects ORDER BY stage, source, position, reason, detail"
                : "SELECT * FROM \(table.quotedDatabaseIdentifier) ORDER BY rowid"
            try forEachRow(db, sql: rows, table: table, into: &buffer) { bytes in
                if bytes.count >= 1 << 18 { drain(&bytes) }
            }
        }
        drain(&buffer)
        return hex(hasher.finalize())
    }

    /// Whether a table of these columns is a set of rows whose order is not content: it has no
    /// primary key (co-purchase edges). `loom merge` appends such a table's rows shard by shard.
    public static func isRowSet(_ columns: [ColumnInfo]) -> Bool {
        !columns.contains { $0.primaryKeyIndex > 0 }
    }

    /// The number of rows of `table` and the sum of their XXH3-128s (each row as `database`
    /// writes it out): a hash of the rows as a set, whatever their order.
    static func rowSetHash(_ db: Database, table: String) throws -> (rows: Int, sum: XXH128_hash_t) {
        var sum = XXH128_hash_t(low64: 0, high64: 0)
        var rows = 0
        var row: [UInt8] = []
        try forEachRow(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier)", table: table, into: &row) { row in
            let hash = row.withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
            let (low, carry) = sum.low64.addingReportingOverflow(hash.low64)
            sum = XXH128_hash_t(low64: low, high64: sum.high64 &+ hash.high64 &+ (carry ? 1 : 0))
            rows += 1
            row.removeAll(keepingCapacity: true)
        }
        return (rows, sum)
    }

    /// Appends each row of `sql` to `buffer` (every value tagged with its storage class, then a
    /// newline) and hands the buffer to `rowDone` after each. Reads columns through the C API: outputs hold tens
    /// of millions of rows.
    private static func forEachRow(_ db: Database, sql: String, table: String, into buffer: inout [UInt8],
                                   rowDone: (inout [UInt8]) throws -> Void) throws {
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
        }
        let statement = try db.makeStatement(sql: sql)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        let columns = sqlite3_column_count(handle)
        while true {
            let status = sqlite3_step(handle)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else {
                throw LoomError.internalError("SQLite error \(status) while hashing table \(table)")
            }
            for column in 0..<columns {
                switch sqlite3_column_type(handle, column) {
                case SQLITE_NULL:
                    buffer.append(0)
                case SQLITE_INTEGER:
                    buffer.append(1)
                    append(sqlite3_column_int64(handle, column))
                case SQLITE_FLOAT:
                    buffer.append(2)
                    append(sqlite3_column_double(handle, column).bitPattern)
                case SQLITE_TEXT:
                    let bytes = sqlite3_column_text(handle, column)
                    let count = Int(sqlite3_column_bytes(handle, column))
                    buffer.append(3)
                    append(UInt64(count))
                    if let bytes { buffer.append(contentsOf: UnsafeBufferPointer(start: bytes, count: count)) }
                default:
                    let bytes = sqlite3_column_blob(handle, column)
                    let count = Int(sqlite3_column_bytes(handle, column))
                    buffer.append(4)
                    append(UInt64(count))
                    if let bytes {
                        buffer.append(contentsOf: UnsafeRawBufferPointer(start: bytes, count: count))
                    }
                }
            }
            buffer.append(0x0A)
            try rowDone(&buffer)
        }
    }

    /// Lower-case hex of a digest. Written out by hand: `String(format: "%02x")` per byte cost a
    /// third of the text stage's time on a rerun that hashes every item.
    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var characters: [UInt8] = []
        characters.reserveCapacity(digest.underestimatedCount * 2)
        for byte in digest {
            characters.append(hexDigits[Int(byte >> 4)])
            characters.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: characters, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}
