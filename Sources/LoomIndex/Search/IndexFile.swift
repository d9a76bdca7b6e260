import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomKernels

/// An `index.sqlite` opened for queries: its vectors in a `VectorMatrix` and what is needed to
/// print an answer. Anything that is not a complete index is refused with the file's name.
/// The packed vectors are cached beside the index (`VectorCache`) and mapped on later opens.
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
    /// Whether the vectors came from the `.vectors` cache beside the index (mapped, not read).
    public let loadedFromCache: Bool
    /// A type-aware model's weights by query type, then partner type (empty for a plain model).
    let typePairs: [String: [String: [Float]]]

    /// The weights that score partners of type `partner` for a query of type `query` (nil: the
    /// plain cosine).
    public func typePairWeights(query: String, partner: String) -> [Float]? { typePairs[query]?[partner] }

    /// The vector that searches for partners of the item at `row`: its own, or, when the model is
    /// type-aware and `partnerType` is given, its own times the (its type, `partnerType`)
    /// weights, whose dot product with a partner's vector is the type-aware score.
    public func queryVector(row: Int, partnerType: String?) -> [Float] {
        let vector = matrix.vector(row: row)
        guard let partnerType, let weights = typePairWeights(query: items[row].type, partner: partnerType) else { return vector }
        return zip(vector, weights).map { $0 * $1 }
    }

    public var model: String? { meta["model"].flatMap { $0.isEmpty ? nil : $0 } }

    /// The arithmetic of the backbone that made the indexed items' visual features (`fp32` or
    /// `int8`, the features stage's `precision`); a new item's photo must run the same. An index
    /// written before this key existed reads as fp32 (rebuild it to record int8).
    public var backbonePrecision: String { meta["backbone_precision"] ?? "fp32" }

    public func row(asin: String) -> Int? { rowByAsin[asin] }
    public func item(id: Int64) -> Item? { rowById[id].map { items[$0] } }
    public func row(id: Int64) -> Int? { rowById[id] }

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
            let (meta, items, codes, names, dim) = try database.read { db in try Self.loadItems(db, path: path) }
            var pairs: [String: [String: [Float]]] = [:]
            for pair in try EmbeddingsReader.typePairs(database) {
                guard let weights = FloatBlob.decode(pair.weights), weights.count == dim else {
                    throw LoomError.badInput(path: path, position: "type_pairs (\(pair.query), \(pair.partner))",
                                             reason: "\(pair.weights.count) bytes of weights, expected \(4 * dim)")
                }
                pairs[pair.query, default: [:]][pair.partner] = weights
            }
            typePairs = pairs
            let ids = items.map(\.id)
            self.meta = meta
            self.items = items
            // Filled in place, sized once (the first row of a repeated key wins).
            var byAsin = [String: Int](minimumCapacity: items.count), byId = [Int64: Int](minimumCapacity: items.count)
            for (row, item) in items.enumerated() {
                if byAsin[item.asin] == nil { byAsin[item.asin] = row }
                if byId[item.id] == nil { byId[item.id] = row }
            }
            rowByAsin = byAsin
            rowById = byId
            let contentHash = meta["content_hash"] ?? ""
            if let (packed, quantized) = VectorCache.load(index: path, contentHash: contentHash, dim: dim, count: ids.count) {
                matrix = VectorMatrix(dim: dim, ids: ids, packed: packed, quantized: quantized, typeCodes: codes, typeNames: names)
                loadedFromCache = true
            } else {
                let vectors = try database.read { db in try Self.loadVectors(db, path: path, ids: ids, dim: dim) }
                matrix = VectorMatrix(dim: dim, ids: ids, vectors: vectors, typeCodes: codes, typeNames: names)
                loadedFromCache = false
                if !contentHash.isEmpty { VectorCache.save(matrix.packed, matrix.quantized, index: path, contentHash: contentHash) }
            }
        } catch let error as LoomError {
            throw error
        } catch {
            throw bad("damaged or incomplete index (\(error))")
        }
    }

    /// Meta, every item in id order with its type code, the type names, and the dimension.
    private static func loadItems(_ db: Database, path: String) throws -> ([String: String], [Item], [UInt8], [String], Int) {
        let meta = try StageMeta.readValues(db)
        guard meta["stage"] == IndexStage.name, let dim = meta["dim"].flatMap(Int.init), dim > 0 else {
            throw LoomError.badInput(path: path, position: "meta", reason: "not a Loom index (no stage=index and dim)")
        }
        var items: [Item] = [], codes: [UInt8] = [], names: [String] = []
        var codeByName: [String: UInt8] = [:]
        // Through the SQLite statement itself: a GRDB row per item, read by column name, cost more
        // than the read (loading an index is what every `loom query` waits on).
        let rows = try BoundStatement(db, sql: "SELECT id, asin, type, title, category FROM items ORDER BY id")
        do {
            while try rows.step() {
                let type = try rows.storedText(2, column: "type")
                guard codeByName[type] != nil || names.count < 256 else {
                    throw LoomError.badInput(path: path, position: "items.type", reason: "more than 256 coarse types")
                }
                let code = codeByName[type] ?? {
                    let next = UInt8(names.count)
                    codeByName[type] = next
                    names.append(type)
                    return next
                }()
                codes.append(code)
                items.append(Item(id: try rows.storedInteger(0, column: "id"), asin: try rows.storedText(1, column: "asin"), type: type,
                                  title: try rows.storedTextIfPresent(3, column: "title"),
                                  category: try rows.storedTextIfPresent(4, column: "category")))
            }
        } catch let error as StoredValueError {
            throw LoomError.badInput(path: path, position: "table items, \(error.column)", reason: "\(error.found) where \(error.expected) is expected")
        }
        return (meta, items, codes, names, dim)
    }

    /// The vectors of `ids` in `table` (`vectors`, or `text_vectors`), in that order: the table
    /// must hold exactly those ids.
    static func loadVectors(_ db: Database, path: String, table: String = "vectors", ids: [Int64], dim: Int) throws -> FloatBuffer {
        let vectors = FloatBuffer(count: max(1, ids.count * dim), zeroed: false)
        let rows = try BoundStatement(db, sql: "SELECT id, vector FROM \(table) ORDER BY id")
        var row = 0
        while try rows.step() {
            let id = rows.integer(0)
            guard row < ids.count, ids[row] == id, !rows.isNull(0) else {
                throw LoomError.badInput(path: path, position: "\(table).id \(id)", reason: "\(table) and items do not match one to one")
            }
            // Stored little-endian, as is this machine: a straight copy.
            guard rows.copyBlob(1, to: UnsafeMutableRawPointer(vectors.pointer + row * dim), byteCount: dim * 4) else {
                throw LoomError.badInput(path: path, position: "\(table).id \(id)", reason: "not \(dim) float32 values")
            }
            row += 1
        }
        guard row == ids.count else {
            throw LoomError.badInput(path: path, position: table, reason: "\(ids.count) items but \(row) vectors")
        }
        return vectors
    }
}
