import Foundation
import GRDB
import LoomCore
import LoomKernels

/// An index's second space, opened for `loom query --text`: the items' sentence vectors
/// (`text_vectors`), searched with the same exact scan as the fused vectors. Rows carry the
/// items' type codes of the index they belong to, so `--type` filters both spaces alike. The
/// packed vectors are cached beside the index as `<index>.text-vectors`.
public struct TextSpace: Sendable {
    public let matrix: VectorMatrix
    /// The sentence encoder's directory and token limit the index records.
    public let model: String?
    public let maximumTokens: Int?
    /// What the vectors were computed under (algorithm, token limit, model files' hashes).
    public let modelKey: String?

    public init(index: IndexFile) throws {
        let path = index.path
        guard let dim = index.meta["text_dim"].flatMap(Int.init), dim > 0 else {
            throw LoomError.usage("\(path) has no text vectors: set the embed stage's text_model (e.g. Models/minilm-l6-v2) and run embed and index again")
        }
        model = index.meta["text_model"].flatMap { $0.isEmpty ? nil : $0 }
        maximumTokens = index.meta["text_max_tokens"].flatMap(Int.init)
        modelKey = index.meta["text_reuse_key"].flatMap { $0.isEmpty ? nil : $0 }
        let database = try StageOutputReader.open(path: path)
        defer { try? database.close() }
        let ids = try database.readStored("text_vectors") { db in try Int64.fetchAll(db, sql: "SELECT id FROM text_vectors ORDER BY id") }
        guard !ids.isEmpty else {
            throw LoomError.usage("\(path) has no text vectors (no item had a title or description)")
        }
        let codes = try ids.map { id -> UInt8 in
            guard let row = index.row(id: id) else {
                throw LoomError.badInput(path: path, position: "text_vectors.id \(id)", reason: "no such item")
            }
            return index.matrix.typeCodes[row]
        }
        let contentHash = index.meta["content_hash"] ?? ""
        let suffix = ".text-vectors"
        if let (packed, quantized) = VectorCache.load(index: path, suffix: suffix, contentHash: contentHash, dim: dim, count: ids.count) {
            matrix = VectorMatrix(dim: dim, ids: ids, packed: packed, quantized: quantized, typeCodes: codes, typeNames: index.matrix.typeNames)
            return
        }
        let vectors = try database.readStored("text_vectors") { db in
            try IndexFile.loadVectors(db, path: path, table: "text_vectors", ids: ids, dim: dim)
        }
        matrix = VectorMatrix(dim: dim, ids: ids, vectors: vectors, typeCodes: codes, typeNames: index.matrix.typeNames)
        if !contentHash.isEmpty { VectorCache.save(matrix.packed, matrix.quantized, index: path, suffix: suffix, contentHash: contentHash) }
    }
}
