import Foundation
import GRDB
import LoomCore

/// Stage triplets: co-purchase edges → weighted (anchor, positive, negative) triplets with an
/// item-disjoint train/valid/test split and fill-in-the-blank questions, in `work/triplets.sqlite`.
public struct TripletStage: Stage {
    public typealias Settings = TripletSettings

    public static let name = "triplets"
    public static let outputFileName = "triplets.sqlite"
    static let catalog = StageInput.stage(name: "ingest", fileName: "catalog.sqlite")

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [TripletStage.catalog]
    }

    /// A kept pair seen from one side: anchor → positive.
    struct Positive: Sendable {
        var anchor: Int32
        var positive: Int32
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
        let catalog = try StageOutputReader.open(path: context.workPath("catalog.sqlite"))
        defer { try? catalog.close() }
        let split = ItemSplit(seed: context.seed, trainFraction: settings.trainFraction, validFraction: settings.validFraction)
        let graph = try CoPurchaseGraph(catalog: catalog, positiveKinds: settings.kinds, split: split)
        let compatible = Set(settings.compatible.map { $0.sorted().joined(separator: "|") })

        // Classify every pair; keep the complementary ones inside one split, both ways round.
        var counts: [String: Int] = ["edges_read": graph.edgesRead, "pairs": graph.pairs.count]
        var positives: [Positive] = []
        let weighting = PairWeighting(factors: settings.weights)
        for pair in graph.pairs {
            let reciprocal = pair.forward && pair.backward
            counts[reciprocal ? "pairs_reciprocal" : "pairs_one_way", default: 0] += 1
            let (ta, tb) = (graph.types[Int(pair.a)], graph.types[Int(pair.b)])
            if ta == tb {
                counts["dropped_same_type", default: 0] += 1
            } else if !compatible.contains([ta, tb].sorted().joined(separator: "|")) {
                counts["dropped_incompatible_types", default: 0] += 1
            } else if graph.splits[Int(pair.a)] != graph.splits[Int(pair.b)] {
                counts["dropped_cross_split", default: 0] += 1
            } else {
                counts["kept_pairs", default: 0] += 1
                for (anchor, positive) in [(pair.a, pair.b), (pair.b, pair.a)] {
                    let idf = PairWeighting.idf(lists: graph.lists, listedIn: Int(graph.listedIn[Int(positive)]))
                    positives.append(Positive(anchor: anchor, positive: positive,
                                              weight: weighting.weight(mentions: Int(pair.mentions), reciprocal: reciprocal, positiveIDF: idf),
                                              mentions: pair.mentions, reciprocal: reciprocal))
                }
            }
        }
        // Mean 1 over all positives of the catalog (not of a shard), so shards agree.
        let mean = positives.isEmpty ? 1 : positives.reduce(0) { $0 + $1.weight } / Double(positives.count)
        for index in positives.indices { positives[index].weight /= mean }
        positives.sort { ($0.anchor, $0.positive) < ($1.anchor, $1.positive) }
        let mine = positives.filter { context.shard.contains(key: graph.asins[Int($0.anchor)]) }

        // Negatives and questions, drawn in parallel, each from its own keyed generator.
        let sampler = NegativeSampler(graph: graph, strategy: settings.negatives, seed: context.seed)
        let fitbSampler = settings.negatives == .compatibleType ? sampler
            : NegativeSampler(graph: graph, strategy: .compatibleType, seed: context.seed)
        let chunk = max(1, (mine.count + 4 * context.threads - 1) / (4 * context.threads))
        let slices = stride(from: 0, to: mine.count, by: chunk).map { Array(mine[$0..<min($0 + chunk, mine.count)]) }
        let drawn = try ParallelMap.map(slices, threads: context.threads) { slice in
            slice.map { positive -> Drawn in
                let negatives = sampler.draw(settings.negativesPerPositive, anchor: positive.anchor, positive: positive.positive,
                                             purpose: "negative", graph: graph)
                guard graph.splits[Int(positive.anchor)] == .test else { return Drawn(negatives: negatives, fitb: nil) }
                let wrong = fitbSampler.draw(settings.fitbCandidates, anchor: positive.anchor, positive: positive.positive, purpose: "fitb", graph: graph)
                return Drawn(negatives: negatives, fitb: wrong)
            }
        }.flatMap { $0 }

        try write(graph: graph, positives: mine, drawn: drawn, settings: settings, context: context, output: output, counts: &counts)
        var result = StageResult(records: graph.edgesRead, counts: counts, unit: "edges")
        result.meta = statistics(graph: graph, positives: positives)
        return result
    }

    private func write(graph: CoPurchaseGraph, positives: [Positive], drawn: [Drawn], settings: Settings,
                       context: StageContext, output: StageOutput, counts: inout [String: Int]) throws {
        try output.database.write { db in
            try db.execute(sql: """
                CREATE TABLE splits (item INTEGER PRIMARY KEY, split TEXT NOT NULL);
                CREATE TABLE positives (id INTEGER PRIMARY KEY, anchor INTEGER NOT NULL, positive INTEGER NOT NULL,
                    weight REAL NOT NULL, mentions INTEGER NOT NULL, reciprocal INTEGER NOT NULL, split TEXT NOT NULL);
                CREATE TABLE triplets (id INTEGER PRIMARY KEY, anchor INTEGER NOT NULL, positive INTEGER NOT NULL,
                    negative INTEGER NOT NULL, weight REAL NOT NULL, split TEXT NOT NULL);
                CREATE TABLE fitb (id INTEGER PRIMARY KEY, anchor INTEGER NOT NULL, answer INTEGER NOT NULL, candidates TEXT NOT NULL);
                """)
            let splitRow = try BoundStatement(db, sql: "INSERT INTO splits (item, split) VALUES (?, ?)")
            for item in 0..<graph.itemIDs.count where context.shard.contains(key: graph.asins[item]) {
                splitRow.bind(1, graph.itemIDs[item])
                splitRow.bind(2, graph.splits[item].rawValue)
                try splitRow.run()
            }
            let positiveRow = try BoundStatement(db, sql: """
                INSERT INTO positives (anchor, positive, weight, mentions, reciprocal, split) VALUES (?, ?, ?, ?, ?, ?)
                """)
            let tripletRow = try BoundStatement(db, sql: """
                INSERT INTO triplets (anchor, positive, negative, weight, split) VALUES (?, ?, ?, ?, ?)
                """)
            let fitbRow = try BoundStatement(db, sql: "INSERT INTO fitb (anchor, answer, candidates) VALUES (?, ?, ?)")
            for (positive, result) in zip(positives, drawn) {
                let anchorID = graph.itemIDs[Int(positive.anchor)]
                let positiveID = graph.itemIDs[Int(positive.positive)]
                let split = graph.splits[Int(positive.anchor)].rawValue
                positiveRow.bind(1, anchorID)
                positiveRow.bind(2, positiveID)
                positiveRow.bind(3, positive.weight)
                positiveRow.bind(4, Int64(positive.mentions))
                positiveRow.bind(5, positive.reciprocal ? Int64(1) : Int64(0))
                positiveRow.bind(6, split)
                try positiveRow.run()
                counts["positives_\(split)", default: 0] += 1
                if result.negatives.count < settings.negativesPerPositive { counts["short_negatives", default: 0] += 1 }
                for negative in result.negatives {
                    tripletRow.bind(1, anchorID)
                    tripletRow.bind(2, positiveID)
                    tripletRow.bind(3, graph.itemIDs[Int(negative)])
                    tripletRow.bind(4, positive.weight)
                    tripletRow.bind(5, split)
                    try tripletRow.run()
                    counts["triplets_\(split)", default: 0] += 1
                }
                if let wrong = result.fitb, wrong.count == settings.fitbCandidates {
                    var candidates = wrong.map { graph.itemIDs[Int($0)] } + [positiveID]
                    var random = SeededRandom(seed: context.seed, key: "fitb-order:\(graph.asins[Int(positive.anchor)]):\(graph.asins[Int(positive.positive)])")
                    random.shuffle(&candidates)
                    fitbRow.bind(1, anchorID)
                    fitbRow.bind(2, positiveID)
                    fitbRow.bind(3, "[" + candidates.map(String.init).joined(separator: ",") + "]")
                    try fitbRow.run()
                    counts["fitb_questions", default: 0] += 1
                }
            }
        }
        for split in ItemSplit.Part.allCases {
            counts["positives_\(split.rawValue)", default: 0] += 0
            counts["triplets_\(split.rawValue)", default: 0] += 0
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
