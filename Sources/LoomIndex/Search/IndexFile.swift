import Foundation
import GRDB
import LoomCore
import LoomInference

/// An `index.sqlite` opened for queries: its vectors in a `VectorMatrix` and what is needed to
/// print an answer. Anything that is not a complete index is refused with the file's name.
public struct IndexFile: Sendable {
    public struct Item: Sendable, Equatable {
        public var id: Int64
        public var asin: String
        public var type: String
        public var title: String?
        public var category: String?
    }

    public let path: String
    public let meta: [String: String]
    public let matrix: VectorMatrix
    /// Item details by row of `matrix`.
    public let items: [Item]
    let rowByAsin: [String: Int]
    let rowById: [Int64: Int]

    public var model: String? { meta["model"].flatMap { $0.isEmpty ? nil : $0 } }

    public func row(asin: String) -> Int? { rowByAsin[asin] }
    public func item(id: Int64) -> Item? { rowById[id].map { items[$0] } }

    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw LoomError.inputMissing(path: path, reason: "no such index file") }
        func bad(_ reason: String) -> LoomError { .badInput(path: path, position: nil, reason: reason) }
        let database: DatabaseQueue
        do {
            database = try StageOutputReader.open(path: path)
            try database.read { db in _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
        } catch {
            throw bad("not a readable SQLite index (\(error))")
        }
        defer { try? database.close() }
        do {
            let (meta, items, ids, codes, names, vectors, dim) = try database.read { db in try Self.load(db, path: path) }
            self.meta = meta
            self.items = items
            rowByAsin = Dictionary(items.enumerated().map { ($1.asin, $0) }, uniquingKeysWith: { first, _ in first })
            rowById = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
            matrix = VectorMatrix(dim: dim, ids: ids, vectors: vectors, typeCodes: codes, typeNames: names)
        } catch let error as LoomError {
            throw error
        } catch {
            throw bad("damaged or incomplete index (\(error))")
        }
    }

    private static func load(_ db: Database, path: String) throws
        -> ([String: String], [Item], [Int64], [UInt8], [String], FloatBuffer, Int)
    {
        let meta = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map {
            ($0["key"] as String, $0["value"] as String)
        })
        guard meta["stage"] == IndexStage.name, let dim = meta["dim"].flatMap(Int.init), dim > 0 else {
            throw LoomError.badInput(path: path, position: "meta", reason: "not a Loom index (no stage=index and dim)")
        }
        let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vectors") ?? 0
        let vectors = FloatBuffer(count: max(1, count * dim), zeroed: false)
        var items: [Item] = [], ids: [Int64] = [], codes: [UInt8] = [], names: [String] = []
        var codeByName: [String: UInt8] = [:]
        items.reserveCapacity(count)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT v.id, v.vector, i.asin, i.type, i.title, i.category FROM vectors v JOIN items i ON i.id = v.id ORDER BY v.id
            """)
        var row = 0
        while let record = try rows.next() {
            guard row < count else { break }
            let copied = try record.withUnsafeData(atIndex: 1) { data -> Bool in
                guard let data, data.count == dim * 4 else { return false }
                data.withUnsafeBytes { raw in
                    // Stored little-endian, as is this machine: a straight copy.
                    UnsafeMutableRawPointer(vectors.pointer + row * dim).copyMemory(from: raw.baseAddress!, byteCount: dim * 4)
                }
                return true
            }
            let id: Int64 = record[0]
            guard copied else {
                throw LoomError.badInput(path: path, position: "vectors.id \(id)", reason: "not \(dim) float32 values")
            }
            let type: String = record[3]
            guard codeByName[type] != nil || names.count < 256 else {
                throw LoomError.badInput(path: path, position: "items.type", reason: "more than 256 coarse types")
            }
            let code = codeByName[type] ?? {
                let next = UInt8(names.count)
                codeByName[type] = next
                names.append(type)
                return next
            }()
            ids.append(id)
            codes.append(code)
            items.append(Item(id: id, asin: record[2], type: type, title: record[4], category: record[5]))
            row += 1
        }
        guard row == count else {
            throw LoomError.badInput(path: path, position: "vectors", reason: "\(count) vectors but \(row) with an item")
        }
        return (meta, items, ids, codes, names, vectors, dim)
    }
}
