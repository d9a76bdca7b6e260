import LoomCore

/// Draws negatives for an (anchor, positive) pair: items of the positive's coarse type (or any
/// type, for `random`) in the anchor's split, never the anchor, the positive or anything
/// co-purchased with the anchor, never twice. The generator is keyed by the pair's asins, so the
/// draw is the same at any thread count and in any shard.
struct NegativeSampler: Sendable {
    private let pools: [String: [Int32]]
    private let byType: Bool
    private let seed: UInt64

    init(graph: CoPurchaseGraph, strategy: TripletSettings.NegativeStrategy, seed: UInt64) {
        var pools: [String: [Int32]] = [:]
        for item in 0..<graph.itemIDs.count {
            let key = strategy == .compatibleType ? "\(graph.splits[item].rawValue) \(graph.types[item])" : graph.splits[item].rawValue
            pools[key, default: []].append(Int32(item))
        }
        self.pools = pools
        byType = strategy == .compatibleType
        self.seed = seed
    }

    /// Up to `count` negatives; fewer only when the pool runs dry.
    func draw(_ count: Int, anchor: Int32, positive: Int32, purpose: String, graph: CoPurchaseGraph) -> [Int32] {
        guard count > 0 else { return [] }
        let split = graph.splits[Int(anchor)].rawValue
        let key = byType ? "\(split) \(graph.types[Int(positive)])" : split
        guard let pool = pools[key], !pool.isEmpty else { return [] }
        var random = SeededRandom(seed: seed, key: "\(purpose):\(graph.asins[Int(anchor)]):\(graph.asins[Int(positive)])")
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
