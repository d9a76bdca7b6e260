import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Stage triplets: co-purchase edges → weighted (anchor, positive, negative) triplets with an
/// item-disjoint train/valid/test split and fill-in-the-blank questions, in `work/triplets.sqlite`.
public struct TripletStage: Stage {
    public typealias Settings = TripletSettings

    public static let name = StageOutputFile.triplets.stage
    public static let outputFileName = StageOutputFile.triplets.fileName
    static let catalog = StageOutputFile.catalog.input

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [TripletStage.catalog]
    }

    /// A kept pair seen from one side: anchor → positive.
    struct Positive: Sendable {
        var anchor: Int32
        var positive: Int32
        /// Sort key: anchor, then positive.
        var order: UInt64 { UInt64(UInt32(bitPattern: anchor)) << 32 | UInt64(UInt32(bitPattern: positive)) }
        var weight: Double
        var mentions: Int32
        var reciprocal: Bool
    }

    struct Drawn: Sendable {
        var negatives: [Int32]
        var fitb: [Int32]?
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        defer { try? catalog.close() }
        let split = ItemSplit(seed: context.seed, trainFraction: settings.trainFraction, validFraction: settings.validFraction)
        var clock = ContinuousClock.now
        func phase(_ name: String) {
            context.logger.debug("triplets: \(name) took \(ContinuousClock.now - clock)")
            clock = ContinuousClock.now
        }
        var loaded = try CoPurchaseGraph(catalog: catalog, positiveKinds: settings.kinds, split: split)
        phase("loading the graph (\(loaded.itemIDs.count) items, \(loaded.pairs.count) pairs)")
        let compatibleNames = Set(settings.compatible.map { $0.sorted().joined(separator: "|") })
        let typeCount = loaded.typeNames.count
        // Which pairs of type indices make an outfit, as a flat matrix.
        var compatible = [Bool](repeating: false, count: typeCount * typeCount)
        for a in 0..<typeCount {
            for b in 0..<typeCount {
                compatible[a * typeCount + b] = compatibleNames.contains([loaded.typeNames[a], loaded.typeNames[b]].sorted().joined(separator: "|"))
            }
        }
        let idf = loaded.listedIn.map { PairWeighting.idf(lists: loaded.lists, listedIn: Int($0)) }

        // Classify every pair; keep the complementary ones inside one split, both ways round.
        var reciprocalPairs = 0, sameType = 0, incompatible = 0, crossSplit = 0, kept = 0
        var positives: [Positive] = []
        let weighting = PairWeighting(factors: settings.weights)
        enum Verdict { case sameType, incompatible, crossSplit, kept }
        func verdict(_ pair: CoPurchaseGraph.Pair) -> Verdict {
            let (ta, tb) = (Int(loaded.types[Int(pair.a)]), Int(loaded.types[Int(pair.b)]))
            if ta == tb { return .sameType }
            if !compatible[ta * typeCount + tb] { return .incompatible }
            return loaded.splits[Int(pair.a)] != loaded.splits[Int(pair.b)] ? .crossSplit : .kept
        }
        // Sized once: tens of millions of positives grown by doubling held and copied up to twice that.
        positives.reserveCapacity(2 * loaded.pairs.count { verdict($0) == .kept })
        for pair in loaded.pairs {
            let reciprocal = pair.forward && pair.backward
            if reciprocal { reciprocalPairs += 1 }
            switch verdict(pair) {
            case .sameType: sameType += 1
            case .incompatible: incompatible += 1
            case .crossSplit: crossSplit += 1
            case .kept:
                kept += 1
                for (anchor, positive) in [(pair.a, pair.b), (pair.b, pair.a)] {
                    positives.append(Positive(anchor: anchor, positive: positive,
                                              weight: weighting.weight(mentions: Int(pair.mentions), reciprocal: reciprocal,
                                                                       positiveIDF: idf[Int(positive)]),
                                              mentions: pair.mentions, reciprocal: reciprocal))
                }
            }
        }
        var counts: [String: Int] = [
            "edges_read": loaded.edgesRead, "pairs": loaded.pairs.count, "pairs_reciprocal": reciprocalPairs,
            "pairs_one_way": loaded.pairs.count - reciprocalPairs, "kept_pairs": kept, "dropped_same_type": sameType,
            "dropped_incompatible_types": incompatible, "dropped_cross_split": crossSplit,
        ]
        // The pairs are all in `positives` now: their memory goes back before the drawing starts.
        loaded.pairs = []
        let graph = loaded
        // Mean 1 over all positives of the catalog (not of a shard), so shards agree.
        let mean = positives.isEmpty ? 1 : positives.reduce(0) { $0 + $1.weight } / Double(positives.count)
        for index in positives.indices { positives[index].weight /= mean }
        positives.sort { $0.order < $1.order }
        // The whole catalog's positives are shared, not copied, when the stage runs whole.
        let mine = context.shard.isWhole ? positives : positives.filter { context.shard.contains(key: graph.asins[Int($0.anchor)]) }
        phase("weighing \(positives.count) positives")

        // Negatives and questions, drawn in parallel, each from its own keyed generator.
        let sampler = NegativeSampler(graph: graph, strategy: settings.negatives, seed: context.seed)
        let fitbSampler = settings.negatives == .compatibleType ? sampler
            : NegativeSampler(graph: graph, strategy: .compatibleType, seed: context.seed)
        // Blocks of positives: with two or more threads, the next block is drawn (on threads - 1
        // workers) while this one is written.
        let workers = max(1, context.threads - 1)
        let blockSize = 1 << 16
        let blocks = stride(from: 0, to: mine.count, by: blockSize).map { $0..<min($0 + blockSize, mine.count) }
        let draw: @Sendable (Range<Int>) throws -> [Drawn] = { block in
            let chunk = max(1, (block.count + 4 * workers - 1) / (4 * workers))
            let slices = stride(from: block.lowerBound, to: block.upperBound, by: chunk).map { $0..<min($0 + chunk, block.upperBound) }
            return try ParallelMap.map(slices, threads: workers) { slice in
                slice.map { index -> Drawn in
                    let positive = mine[index]
                    let negatives = sampler.draw(settings.negativesPerPositive, anchor: positive.anchor, positive: positive.positive,
                                                 purpose: .negative, graph: graph)
                    guard graph.splits[Int(positive.anchor)] == .test else { return Drawn(negatives: negatives, fitb: nil) }
                    let wrong = fitbSampler.draw(settings.fitbCandidates, anchor: positive.anchor, positive: positive.positive,
                                                 purpose: .fitb, graph: graph)
                    return Drawn(negatives: negatives, fitb: wrong)
                }
            }.flatMap { $0 }
        }
        try write(graph: graph, positives: mine, blocks: blocks, overlap: context.threads >= 2, draw: draw,
                  settings: settings, context: context, output: output, counts: &counts)
        phase("drawing negatives and writing")
        var result = StageResult(records: graph.edgesRead, counts: counts, unit: "edges")
        result.meta = statistics(graph: graph, positives: positives)
        return result
    }
    /// One row per positive with its k negatives in a blob: a catalog of 20M edges gives tens of
    /// millions of triplets, and a row per triplet would cost more to write and hash than to mine.
    private func write(graph: CoPurchaseGraph, positives: [Positive], blocks: [Range<Int>], overlap: Bool,
                       draw: @escaping @Sendable (Range<Int>) throws -> [Drawn], settings: Settings,
                       context: StageContext, output: StageOutput, counts: inout [String: Int]) throws {
        try output.database.write { db in
            try db.execute(sql: StageOutputFile.triplets.schema)
            let splitRow = try BoundStatement(db, sql: "INSERT INTO splits (item, split) VALUES (?, ?)")
            for item in 0..<graph.itemIDs.count where context.shard.contains(key: graph.asins[item]) {
                splitRow.bind(1, graph.itemIDs[item])
                splitRow.bind(2, graph.splits[item].rawValue)
                try splitRow.run()
            }
            let tripletRow = try BoundStatement(db, sql: """
                INSERT INTO triplets (anchor, positive, weight, mentions, reciprocal, split, negatives) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            let fitbRow = try BoundStatement(db, sql: "INSERT INTO fitb (anchor, answer, candidates) VALUES (?, ?, ?)")
            let parts = ItemSplit.Part.allCases
            // The ids alone: a closure that captured the graph would copy it (a dozen arrays) per row.
            let itemIDs = graph.itemIDs
            var positivesPerSplit = [Int](repeating: 0, count: parts.count)
            var tripletsPerSplit = [Int](repeating: 0, count: parts.count)
            var short = 0, questions = 0
            var blob = Data(capacity: 4 * settings.negativesPerPositive)
            defer {
                for (index, part) in parts.enumerated() {
                    counts["positives_\(part.rawValue)"] = positivesPerSplit[index]
                    counts["triplets_\(part.rawValue)"] = tripletsPerSplit[index]
                }
                counts["short_negatives"] = short
                counts["fitb_questions"] = questions
            }
            var pending = blocks.first.map { first in overlap ? BackgroundTask { try draw(first) } : nil } ?? nil
            for (blockIndex, block) in blocks.enumerated() {
                let drawn = try pending?.wait() ?? draw(block)
                pending = nil
                if overlap, blockIndex + 1 < blocks.count {
                    let next = blocks[blockIndex + 1]
                    pending = BackgroundTask { try draw(next) }
                }
                for (positive, result) in zip(positives[block], drawn) {
                    let anchorID = graph.itemIDs[Int(positive.anchor)]
                    let positiveID = graph.itemIDs[Int(positive.positive)]
                    let part = graph.splits[Int(positive.anchor)]
                    let split = part.rawValue
                    tripletRow.bind(1, anchorID)
                    tripletRow.bind(2, positiveID)
                    tripletRow.bind(3, positive.weight)
                    tripletRow.bind(4, Int64(positive.mentions))
                    tripletRow.bind(5, positive.reciprocal ? Int64(1) : Int64(0))
                    tripletRow.bind(6, split)
                    blob.removeAll(keepingCapacity: true)
                    NegativesBlob.encode(result.negatives.lazy.map { itemIDs[Int($0)] }, into: &blob)
                    tripletRow.bind(7, blob)
                    try tripletRow.run()
                    let partIndex = parts.firstIndex(of: part)!
                    positivesPerSplit[partIndex] += 1
                    tripletsPerSplit[partIndex] += result.negatives.count
                    if result.negatives.count < settings.negativesPerPositive { short += 1 }
                    if let wrong = result.fitb, wrong.count == settings.fitbCandidates {
                        var candidates = wrong.map { graph.itemIDs[Int($0)] } + [positiveID]
                        var random = SeededRandom(seed: context.seed, key: "fitb-order:\(graph.asins[Int(positive.anchor)]):\(graph.asins[Int(positive.positive)])")
                        random.shuffle(&candidates)
                        fitbRow.bind(1, anchorID)
                        fitbRow.bind(2, positiveID)
                        fitbRow.bind(3, CandidateList.encode(candidates))
                        try fitbRow.run()
                        questions += 1
                    }
                }
            }
        }
    }

    /// Degree distribution of the kept graph, top hubs and the weight distribution, for `meta`.
    private func statistics(graph: CoPurchaseGraph, positives: [Positive]) -> [String: String] {
        var degree = [Int](repeating: 0, count: graph.itemIDs.count)
        for positive in positives { degree[Int(positive.anchor)] += 1 }
        let connected = degree.filter { $0 > 0 }.sorted()
        let weights = positives.map(\.weight).sorted()
        func quantile<T>(_ values: [T], _ q: Double) -> T? {
            values.isEmpty ? nil : values[min(values.count - 1, Int(q * Double(values.count - 1)))]
        }
        let hubs = degree.enumerated().sorted { $0.element != $1.element ? $0.element > $1.element : $0.offset < $1.offset }
            .prefix(5).filter { $0.element > 0 }
            .map { "{\"asin\":\"\(graph.asins[$0.offset])\",\"degree\":\($0.element)}" }
        return [
            "degree": "min \(connected.first ?? 0), median \(quantile(connected, 0.5) ?? 0), p99 \(quantile(connected, 0.99) ?? 0), max \(connected.last ?? 0)",
            "top_hubs": "[" + hubs.joined(separator: ",") + "]",
            "weights": String(format: "min %.4f, median %.4f, p99 %.4f, max %.4f",
                              weights.first ?? 0, quantile(weights, 0.5) ?? 0, quantile(weights, 0.99) ?? 0, weights.last ?? 0),
        ]
    }
}
