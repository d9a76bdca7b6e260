import GRDB
import LoomCore
import LoomFormats

/// The catalog as the triplets stage needs it: items by dense index with type and split,
/// undirected co-purchase pairs with their mentions and directions, a sorted adjacency for
/// "is this co-purchased with the anchor?", and per-item list counts for idf. Everything sits in
/// flat arrays: a million items and twenty million edges fit in a few hundred MB.
struct CoPurchaseGraph {
    /// One unordered pair of items (a < b, as indices) from the positive kinds.
    struct Pair {
        var a: Int32
        var b: Int32
        /// a lists b, b lists a (in any positive kind).
        var forward: Bool
        var backward: Bool
        /// (list, kind) mentions of the pair.
        var mentions: Int32
    }

    var itemIDs: [Int64] = []
    var asins: [String] = []
    /// FNV-1a of each asin: what keys every random draw about the item.
    var asinHashes: [UInt64] = []
    /// Coarse type of each item as an index into `typeNames`.
    var types: [UInt8] = []
    var typeNames: [String] = []
    var splits: [ItemSplit.Part] = []
    var pairs: [Pair] = []
    /// Neighbours of item i (all co-purchase kinds and the positive kinds, both directions),
    /// sorted: `neighbors[offsets[i]..<offsets[i + 1]]`.
    var offsets: [Int32] = []
    var neighbors: [Int32] = []
    /// How many lists (of the positive kinds) name each item, and how many lists there are.
    var listedIn: [Int32] = []
    var lists = 0
    var edgesRead = 0

    init(catalog: DatabaseQueue, positiveKinds: [EdgeKind], split: ItemSplit) throws {
        let exclusionKinds = Set(positiveKinds + [.alsoBought, .boughtTogether])
        // Sized once from the edges' largest rowid (no more entries than edges): growing by
        // doubling held up to twice 20M words, and copied them, at the graph's peak.
        var entries: [UInt64] = []
        entries.reserveCapacity(try CatalogReader.edgeCountBound(catalog))
        var typeIndex: [String: UInt8] = [:]
        try CatalogReader.forEachItemType(catalog) { id, asin, type in
            itemIDs.append(id)
            asins.append(asin)
            asinHashes.append(Shard.stableHash(asin))
            if typeIndex[type] == nil {
                typeIndex[type] = UInt8(truncatingIfNeeded: typeNames.count)
                typeNames.append(type)
            }
            types.append(typeIndex[type]!)
            splits.append(split.part(of: asin))
        }
        var indexOfID = [Int32](repeating: -1, count: Int((itemIDs.last ?? 0) + 1))
        for (index, id) in itemIDs.enumerated() { indexOfID[Int(id)] = Int32(index) }
        listedIn = Array(repeating: 0, count: itemIDs.count)

        // One pass over the edges; each as one sortable word: min index, max index, direction,
        // positive kind or not. Lists are counted as distinct (source, kind).
        let positive = EdgeKind.allCases.map { positiveKinds.contains($0) }
        let excluding = EdgeKind.allCases.map { exclusionKinds.contains($0) }
        var listSources = Array(repeating: [Bool](repeating: false, count: itemIDs.count), count: EdgeKind.allCases.count)
        try CatalogReader.forEachEdge(catalog) { srcID, dstID, edgeKind in
            guard let kind = edgeKind?.index, excluding[kind] else { return }
            guard (0..<Int64(indexOfID.count)).contains(srcID), (0..<Int64(indexOfID.count)).contains(dstID) else { return }
            let src = indexOfID[Int(srcID)]
            let dst = indexOfID[Int(dstID)]
            guard src >= 0, dst >= 0, src != dst else { return }
            if positive[kind] {
                edgesRead += 1
                listedIn[Int(dst)] += 1
                listSources[kind][Int(src)] = true
            }
            let (low, high) = src < dst ? (src, dst) : (dst, src)
            let direction: UInt64 = src < dst ? 1 : 2
            entries.append(UInt64(low) << 34 | UInt64(high) << 3 | direction << 1 | (positive[kind] ? 1 : 0))
        }
        lists = listSources.enumerated().filter { positive[$0.offset] }.map { $0.element.count { $0 } }.reduce(0, +)
        entries.sort()
        buildPairsAndAdjacency(entries)
    }

    private mutating func buildPairsAndAdjacency(_ entries: [UInt64]) {
        // Pass 1: each item's degree and the number of positive pairs, so that `pairs` and
        // `neighbors` are allocated once at their size (the graph's peak memory at 20M edges).
        var degree = [Int32](repeating: 0, count: itemIDs.count)
        var positivePairs = 0
        Self.forEachPair(entries) { key, range in
            if entries[range].contains(where: { $0 & 1 == 1 }) { positivePairs += 1 }
            degree[Int(key >> 31)] += 1
            degree[Int(key & 0x7FFF_FFFF)] += 1
        }
        // Pass 2: the positive pairs, with their directions and mentions.
        pairs.reserveCapacity(positivePairs)
        Self.forEachPair(entries) { key, range in
            var pair = Pair(a: Int32(key >> 31), b: Int32(key & 0x7FFF_FFFF), forward: false, backward: false, mentions: 0)
            for entry in entries[range] where entry & 1 == 1 {
                pair.mentions += 1
                if (entry >> 1) & 3 == 1 { pair.forward = true } else { pair.backward = true }
            }
            if pair.mentions > 0 { pairs.append(pair) }
        }
        offsets = [0]
        offsets.reserveCapacity(itemIDs.count + 1)
        for count in degree { offsets.append(offsets.last! + count) }
        neighbors = [Int32](repeating: 0, count: Int(offsets.last!))
        var fill = Array(offsets.dropLast())
        // The distinct pairs come sorted by (a, b) with a < b: an item's smaller neighbours (where
        // it is b) go in first, in order, then its larger ones (where it is a), so every row comes
        // out sorted.
        Self.forEachPair(entries) { key, _ in
            let (a, b) = (Int32(key >> 31), Int(key & 0x7FFF_FFFF))
            neighbors[Int(fill[b])] = a
            fill[b] += 1
        }
        Self.forEachPair(entries) { key, _ in
            let (a, b) = (Int(key >> 31), Int32(key & 0x7FFF_FFFF))
            neighbors[Int(fill[a])] = b
            fill[a] += 1
        }
    }

    /// Each distinct pair of the sorted entries: its key (low index << 31 | high index) and the
    /// range of its entries.
    @inline(__always)
    private static func forEachPair(_ entries: [UInt64], _ body: (UInt64, Range<Int>) -> Void) {
        var index = 0
        while index < entries.count {
            let key = entries[index] >> 3
            let start = index
            while index < entries.count, entries[index] >> 3 == key { index += 1 }
            body(key, start..<index)
        }
    }

    func areNeighbors(_ a: Int32, _ b: Int32) -> Bool {
        var low = Int(offsets[Int(a)])
        var high = Int(offsets[Int(a) + 1])
        while low < high {
            let middle = (low + high) / 2
            let value = neighbors[middle]
            if value == b { return true }
            if value < b { low = middle + 1 } else { high = middle }
        }
        return false
    }

    func degree(_ item: Int) -> Int { Int(offsets[item + 1] - offsets[item]) }
}
