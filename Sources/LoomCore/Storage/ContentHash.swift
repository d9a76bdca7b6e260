import Crypto
import Foundation
import GRDB

/// Content hashes that decide whether a stage is fresh. All are SHA-256, hex-encoded.
public enum ContentHash {
    /// The bytes of one file, read in 1 MiB blocks (constant memory for multi-GB catalogs).
    public static func file(atPath path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "cannot open for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let block = try handle.read(upToCount: 1 << 20) ?? Data()
            if block.isEmpty { break }
            hasher.update(data: block)
        }
        return hex(hasher.finalize())
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

    /// The content of a stage output: every table except `meta`, in name order, rows in rowid
    /// order, each value tagged with its storage class. Independent of run times, page layout and
    /// the SQLite version, so downstream stages see "same content" when a rerun changed nothing.
    public static func database(_ db: Database) throws -> String {
        var hasher = SHA256()
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'meta'
            ORDER BY name
            """)
        for table in tables {
            hasher.update(data: Data("table \(table)\n".utf8))
            let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM \(table.quotedDatabaseIdentifier) ORDER BY rowid")
            while let row = try cursor.next() {
                for value in row.databaseValues {
                    update(&hasher, with: value)
                }
                hasher.update(data: Data([0x0A]))
            }
        }
        return hex(hasher.finalize())
    }

    private static func update(_ hasher: inout SHA256, with value: DatabaseValue) {
        switch value.storage {
        case .null:
            hasher.update(data: Data([0]))
        case .int64(let number):
            var bytes = number.littleEndian
            hasher.update(data: Data([1]))
            withUnsafeBytes(of: &bytes) { hasher.update(bufferPointer: $0) }
        case .double(let number):
            var bytes = number.bitPattern.littleEndian
            hasher.update(data: Data([2]))
            withUnsafeBytes(of: &bytes) { hasher.update(bufferPointer: $0) }
        case .string(let text):
            var length = UInt64(text.utf8.count).littleEndian
            hasher.update(data: Data([3]))
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: Data(text.utf8))
        case .blob(let data):
            var length = UInt64(data.count).littleEndian
            hasher.update(data: Data([4]))
            withUnsafeBytes(of: &length) { hasher.update(bufferPointer: $0) }
            hasher.update(data: data)
        }
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
