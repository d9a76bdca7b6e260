import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomIndex
import LoomKernels
import LoomTrain

/// One held-out item and what the index answers for it, per partner type.
public struct GalleryItem {
    public struct Answer {
        public var asin: String
        public var title: String
        public var type: String
        public var score: Float
        /// The pair is a co-purchase in the catalog (either direction, any kind).
        public var known: Bool
        public var thumbnail: String?
    }

    public var asin: String
    public var title: String
    public var type: String
    public var thumbnail: String?
    /// Answers by partner type, in the order of the types.
    public var answers: [(type: String, answers: [Answer])]
}

/// The spread of the index's vectors: cosine of random pairs and of co-purchase pairs.
/// Picks the gallery's held-out items (test split, in the index, with a photo) and asks the
/// index for each one's top answers per partner type (the type pairs triplets called compatible).
struct Gallery {
    static let itemCount = 8
    static let answersPerType = 5

    let workDirectory: String
    let index: IndexFile

    init(workDirectory: String, indexPath: String) throws {
        self.init(workDirectory: workDirectory, index: try IndexFile(path: indexPath))
    }

    init(workDirectory: String, index: IndexFile) {
        self.workDirectory = workDirectory
        self.index = index
    }

    private func output(_ file: StageOutputFile) throws -> DatabaseQueue {
        let path = (workDirectory as NSString).appendingPathComponent(file.fileName)
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "the output of stage '\(file.stage)'; run that stage first")
        }
        return try StageOutputReader.open(path: path)
    }

    /// The gallery, and the pass over the catalog's edges it made (the health reads it too).
    func items() throws -> (items: [GalleryItem], edges: EdgeScan) {
        let triplets = try output(.triplets)
        defer { try? triplets.close() }
        let splits = try TripletsReader.splits(triplets)
        let partners = try Self.partnerTypes(settings: try StageMeta.read(path: (workDirectory as NSString).appendingPathComponent(StageOutputFile.triplets.fileName)).settings)
        let images = try output(.images)
        defer { try? images.close() }

        // Held-out items with a photo, in the order of their asins' hash: a spread that does not
        // follow the catalog's order, the same every time.
        var chosen: [Int] = []
        let candidates = index.items.indices.filter { splits[index.items[$0].id] == .test }
            .sorted { Shard.stableHash(index.items[$0].asin) < Shard.stableHash(index.items[$1].asin) }
        var thumbnails: [Int64: String] = [:]
        for row in candidates where chosen.count < Self.itemCount {
            guard let thumbnail = try thumbnail(of: index.items[row].id, images: images) else { continue }
            thumbnails[index.items[row].id] = thumbnail
            chosen.append(row)
        }

        // Per partner type, one search for the chosen items that have it.
        var answersByRow: [Int: [(String, [SearchHit])]] = [:]
        let typeNames = index.matrix.typeNames
        for (code, type) in typeNames.enumerated().sorted(by: { $0.element < $1.element }) {
            let asking = chosen.filter { row in Self.partners(of: index.items[row].type, in: partners, known: typeNames).contains(type) }
            guard !asking.isEmpty else { continue }
            var filter = SearchFilter(queries: asking.count, allowedTypes: [UInt8(code)])
            for (slot, row) in asking.enumerated() { filter.excludedRow[slot] = row }
            let queries = asking.flatMap { index.queryVector(row: $0, partnerType: type) }   // type-aware models weigh by the pair
            let hits = VectorSearch.search(queries, queryCount: asking.count, in: index.matrix, k: Self.answersPerType, filter: filter)
            for (row, found) in zip(asking, hits) { answersByRow[row, default: []].append((type, found)) }
        }

        let edges = try scanEdges(touching: Set(chosen.map { index.items[$0].id }), sample: Self.healthPairs)
        let known = edges.touching
        let items = try chosen.map { row in
            let item = index.items[row]
            let answers = try (answersByRow[row] ?? []).map { type, hits in
                (type: type, answers: try hits.compactMap { hit -> GalleryItem.Answer? in
                    guard let answer = index.item(id: hit.id) else { return nil }
                    return GalleryItem.Answer(asin: answer.asin, title: answer.title ?? "", type: answer.type, score: hit.score,
                                              known: known.contains(Pair(item.id, answer.id)),
                                              thumbnail: try thumbnail(of: answer.id, images: images))
                })
            }
            return GalleryItem(asin: item.asin, title: item.title ?? "", type: item.type, thumbnail: thumbnails[item.id], answers: answers)
        }
        return (items, edges)
    }

    /// The pairs of coarse types triplets called compatible (its recorded settings).
    static func partnerTypes(settings: String) throws -> [[String]] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(settings.utf8)) as? [String: Any],
              let pairs = object["compatible"] as? [[String]] else { return [] }
        return pairs
    }

    /// The partner types of `type`: those it is paired with, else every other known type.
    static func partners(of type: String, in pairs: [[String]], known: [String]) -> [String] {
        let paired = Set(pairs.flatMap { pair in pair.count == 2 ? (pair[0] == type ? [pair[1]] : pair[1] == type ? [pair[0]] : []) : [] })
        let chosen = paired.isEmpty ? Set(known).subtracting([type]) : paired
        return known.filter { chosen.contains($0) }.sorted()
    }

    struct Pair: Hashable {
        var low: Int64
        var high: Int64
        init(_ a: Int64, _ b: Int64) { (low, high) = a < b ? (a, b) : (b, a) }
    }

    /// What one pass over the catalog's co-purchase edges (tens of millions in a real dump) gives.
    struct EdgeScan {
        /// Pairs (any kind, either direction) with an item of the ids asked about.
        var touching: Set<Pair>
        /// The first co-purchase pairs of two different indexed items, as index rows.
        var indexedPairs: [(Int, Int)]
    }

    static let healthPairs = 2_000

    func scanEdges(touching ids: Set<Int64>, sample: Int) throws -> EdgeScan {
        let catalog = try output(.catalog)
        defer { try? catalog.close() }
        var scan = EdgeScan(touching: [], indexedPairs: [])
        try CatalogReader.forEachEdge(catalog) { src, dst, _ in
            if ids.contains(src) || ids.contains(dst) { scan.touching.insert(Pair(src, dst)) }
            if scan.indexedPairs.count < sample, let a = index.row(id: src), let b = index.row(id: dst), a != b {
                scan.indexedPairs.append((a, b))
            }
        }
        return scan
    }

    func thumbnail(of id: Int64, images: DatabaseQueue) throws -> String? {
        guard let hash = try ImagesReader.pixelHashes(images, ids: id...id)[id],
              let stored = try ImagesReader.storedImages(images, hashes: [hash])[hash] else { return nil }
        return Thumbnail.of(stored)
    }

    /// Cosines of 2,000 seeded random pairs of indexed items, and of the co-purchase pairs
    /// among indexed items that `edges` sampled (up to 2,000, in catalog order).
    func health(edges: EdgeScan) -> EmbeddingHealth? {
        let matrix = index.matrix
        return EmbeddingHealth.measure(count: matrix.count, dim: matrix.dim, pairs: edges.indexedPairs, vector: matrix.vector(row:))
    }
}
