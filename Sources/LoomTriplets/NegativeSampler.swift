import LoomCore
import LoomFormats

/// Draws negatives for an (anchor, positive) pair: items of the positive's coarse type (or any
/// type, for `random`) in the anchor's split, never the anchor, the positive or anything
/// co-purchased with the anchor, never twice. The generator is keyed by the pair's asins, so the
/// draw is the same at any thread count and in any shard.
struct NegativeSampler: Sendable {
    /// What a draw is for; part of the generator's key, so negatives and questions differ.
    enum Purpose: UInt64 {
        case negative = 0x6E65_6761_7469_7665
        case fitb = 0x6669_7462
    }

    /// Candidate items per (split, type) slot, or per split for `random`.
    private let pools: [[Int32]]
    private let byType: Bool
    private let typeCount: Int
    private let seed: UInt64

    init(graph: CoPurchaseGraph, strategy: TripletSettings.NegativeStrategy, seed: UInt64) {
        byType = strategy == .compatibleType
        typeCount = max(1, graph.typeNames.count)
        var pools = Array(repeating: [Int32](), count: ItemSplit.Part.allCases.count * typeCount)
        for item in 0..<graph.itemIDs.count {
            pools[NegativeSampler.slot(graph.splits[item], byType ? Int(graph.types[item]) : 0, typeCount)].append(Int32(item))
        }
        self.pools = pools
        self.seed = seed
    }

    private static func slot(_ split: ItemSplit.Part, _ type: Int, _ typeCount: Int) -> Int {
        (ItemSplit.Part.allCases.firstIndex(of: split) ?? 0) * typeCount + type
    }

    /// Up to `count` negatives; fewer only when the pool runs dry.
    func draw(_ count: Int, anchor: Int32, positive: Int32, purpose: Purpose, graph: CoPurchaseGraph) -> [Int32] {
        guard count > 0 else { return [] }
        let pool = pools[NegativeSampler.slot(graph.splits[Int(anchor)], byType ? Int(graph.types[Int(positive)]) : 0, typeCount)]
        guard !pool.isEmpty else { return [] }
        // Keyed by the pair (the asins' stable hashes) and the purpose, never by position or thread.
        var random = SeededRandom(seed: seed ^ purpose.rawValue
            ^ (graph.asinHashes[Int(anchor)] &* 0x9E37_79B9_7F4A_7C15) ^ (graph.asinHashes[Int(positive)] &* 0xC2B2_AE3D_27D4_EB4F))
        var chosen: [Int32] = []
        var attempts = 0
        while chosen.count < count, attempts < 20 * count + 20 {
            attempts += 1
            let candidate = pool[Int(random.next() % UInt64(pool.count))]
            if candidate == anchor || candidate == positive || chosen.contains(candidate) { continue }
            if graph.areNeighbors(anchor, candidate) { continue }
            chosen.append(candidate)
        }
        return chosen
    }
}
