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
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoomError.inputMissing(path: path, reason: "not a directory")
        }
        guard let enumerator = manager.enumerator(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "cannot list directory")
        }
        var entries: [String] = []
        while let name = enumerator.nextObject() as? String {
            let full = (path as NSString).appendingPathComponent(name)
            guard let attributes = try? manager.attributesOfItem(atPath: full),
                  (attributes[.type] as? FileAttributeType) == .typeRegular else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? -1
            let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries.append("\(name)\t\(size)\t\(String(format: "%.6f", modified))")
        }
        entries.sort()
        return string(entries.joined(separator: "\n"))
    }

    public static func string(_ text: String) -> String {
        hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// The content of a stage output: every table except `meta` and the `cache_*` tables (facts
    /// about the inputs that spare the next run work, such as file stamps), in name order, rows in rowid
    /// order, each value tagged with its storage class. Independent of run times, page layout and
    /// the SQLite version, so downstream stages see "same content" when a rerun changed nothing.
    /// Reads columns through the C API into a buffer hashed in 256 kB blocks: outputs hold tens
    /// of millions of rows.
    public static func database(_ db: Database) throws -> String {
        var hasher = SHA256()
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 18)
        func drain() {
            buffer.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            buffer.removeAll(keepingCapacity: true)
        }
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
        }
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'meta'
                AND substr(name, 1, 6) != 'cache_'
            ORDER BY name
            """)
        for table in tables {
            buffer.append(contentsOf: Array("table \(table)\n".utf8))
            let statement = try db.makeStatement(sql: "SELECT * FROM \(table.quotedDatabaseIdentifier) ORDER BY rowid")
            let handle = statement.sqliteStatement
            let columns = sqlite3_column_count(handle)
            while true {
                let status = sqlite3_step(handle)
                if status == SQLITE_DONE { break }
                guard status == SQLITE_ROW else {
                    sqlite3_reset(handle)
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
                if buffer.count >= 1 << 18 { drain() }
            }
            sqlite3_reset(handle)
        }
        drain()
        return hex(hasher.finalize())
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
