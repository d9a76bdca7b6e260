import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomIngest
import LoomTestSupport
import Testing
@testable import LoomTriplets

@Suite struct TripletStageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let categories = [
        "T": "Tops, Tees & Blouses", "B": "Pants", "S": "Shoes", "D": "Dresses",
    ]

    /// A hand-made catalog: the lists below, plus items of each type with no lists (negatives pool).
    static func handMadeGraph() throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-triplets")
        let lists: [String: (alsoBuy: [String], together: [String])] = [
            "T1": (["B1", "S1", "T2"], ["B1"]),
            "B1": (["T1", "S1"], []),
            "S1": (["B1"], []),
            "D1": (["S1", "T1"], []),
            "T3": (["B1"], []),
        ]
        var lines: [String] = []
        for prefix in ["T", "B", "S", "D"] {
            for number in 1...8 {
                let asin = "\(prefix)\(number)"
                let list = lists[asin] ?? ([], [])
                let object: [String: Any] = [
                    "asin": asin, "title": "Item \(asin)",
                    "category": ["Clothing, Shoes & Jewelry", "Women", categories[prefix]!],
                    "also_buy": list.alsoBuy, "bought_together": list.together,
                ]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
        }
        let catalog = work.file("graph.jsonl")
        try lines.joined(separator: "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 1, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: []))
        return work
    }

    static func run(_ work: TemporaryDirectory, weights: [PairWeight], trainFraction: Double = 1, validFraction: Double = 0,
                    negatives: TripletSettings.NegativeStrategy = .compatibleType, threads: Int = 2) throws -> StageReport {
        var settings = TripletSettings.defaults
        settings.weights = weights
        settings.trainFraction = trainFraction
        settings.validFraction = validFraction
        settings.negatives = negatives
        return try StageRunner(context: StageContext(workDirectory: work.path, threads: threads, seed: 3, showProgress: false))
            .run(TripletStage(), settings: settings)
    }

    /// (anchor asin, positive asin) → weight, from the output.
    static func weights(_ work: TemporaryDirectory) throws -> [String: Double] {
        let db = try StageOutputReader.open(path: work.file("triplets.sqlite"))
        return try db.inDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS catalog", arguments: [work.file("catalog.sqlite")])
            var weights: [String: Double] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT a.asin AS anchor, b.asin AS positive, p.weight FROM triplets p
                JOIN catalog.items a ON a.id = p.anchor JOIN catalog.items b ON b.id = p.positive
                """) {
                weights["\(row["anchor"] as String)>\(row["positive"] as String)"] = row["weight"]
            }
            return weights
        }
    }

    /// The kept positives of the hand-made graph, and each formula's raw value by hand.
    static let oriented = ["T1>B1", "B1>T1", "T1>S1", "S1>T1", "B1>S1", "S1>B1", "D1>S1", "S1>D1", "T3>B1", "B1>T3"]
    static let mentions: [String: Double] = ["T1>B1": 3, "B1>T1": 3, "T1>S1": 1, "S1>T1": 1, "B1>S1": 2, "S1>B1": 2,
                                             "D1>S1": 1, "S1>D1": 1, "T3>B1": 1, "B1>T3": 1]
    static let reciprocal: [String: Double] = ["T1>B1": 2, "B1>T1": 2, "T1>S1": 1, "S1>T1": 1, "B1>S1": 2, "S1>B1": 2,
                                               "D1>S1": 1, "S1>D1": 1, "T3>B1": 1, "B1>T3": 1]
    /// 6 lists (5 also_buy lists, 1 bought_together list); each positive named by df lists.
    static func idf(_ positive: String) -> Double {
        let df: [String: Double] = ["B1": 4, "S1": 3, "T1": 2, "D1": 0, "T3": 0]
        return log(7 / (1 + df[positive]!)) + 1
    }

    static func normalised(_ raw: [String: Double]) -> [String: Double] {
        let mean = raw.values.reduce(0, +) / Double(raw.count)
        return raw.mapValues { $0 / mean }
    }

    static func expectClose(_ actual: [String: Double], _ expected: [String: Double]) {
        #expect(Set(actual.keys) == Set(expected.keys))
        for (key, value) in expected { #expect(abs((actual[key] ?? .nan) - value) < 1e-9, "\(key)") }
    }

    @Test func keepsOnlyComplementaryPairsAndCountsTheRest() throws {
        let work = try TripletStageTests.handMadeGraph()
        let report = try TripletStageTests.run(work, weights: [.uniform])
        #expect(report.counts["edges_read"] == 10)
        #expect(report.counts["pairs"] == 7)
        #expect(report.counts["kept_pairs"] == 5)
        #expect(report.counts["dropped_same_type"] == 1)
        #expect(report.counts["dropped_incompatible_types"] == 1)
        #expect(report.counts["pairs_reciprocal"] == 2)
        #expect(report.counts["pairs_one_way"] == 5)
        #expect(report.counts["kept_pairs"]! + report.counts["dropped_same_type"]! + report.counts["dropped_incompatible_types"]! == report.counts["pairs"])
        TripletStageTests.expectClose(try TripletStageTests.weights(work), Dictionary(uniqueKeysWithValues: TripletStageTests.oriented.map { ($0, 1.0) }))
    }

    @Test func frequencyReciprocalAndIDFWeightsByValue() throws {
        let work = try TripletStageTests.handMadeGraph()
        _ = try TripletStageTests.run(work, weights: [.frequency])
        TripletStageTests.expectClose(try TripletStageTests.weights(work), TripletStageTests.normalised(TripletStageTests.mentions))

        _ = try TripletStageTests.run(work, weights: [.reciprocal])
        TripletStageTests.expectClose(try TripletStageTests.weights(work), TripletStageTests.normalised(TripletStageTests.reciprocal))

        let idf = Dictionary(uniqueKeysWithValues: TripletStageTests.oriented.map { ($0, TripletStageTests.idf(String($0.split(separator: ">")[1]))) })
        _ = try TripletStageTests.run(work, weights: [.idf])
        TripletStageTests.expectClose(try TripletStageTests.weights(work), TripletStageTests.normalised(idf))

        _ = try TripletStageTests.run(work, weights: [.reciprocal, .idf])
        let product = Dictionary(uniqueKeysWithValues: TripletStageTests.oriented.map { ($0, TripletStageTests.reciprocal[$0]! * idf[$0]!) })
        TripletStageTests.expectClose(try TripletStageTests.weights(work), TripletStageTests.normalised(product))
    }

    @Test(arguments: [TripletSettings.NegativeStrategy.compatibleType, .random])
    func negativesAreNeverCoPurchasedWithTheAnchor(_ strategy: TripletSettings.NegativeStrategy) throws {
        let work = try TripletStageTests.handMadeGraph()
        let report = try TripletStageTests.run(work, weights: [.uniform], negatives: strategy)
        #expect(report.counts["triplets_train"] == 4 * 10)
        let catalog = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let (types, edges) = try catalog.read { db in
            (Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT id, type FROM items").map { ($0["id"] as Int64, $0["type"] as String) }),
             Set(try Row.fetchAll(db, sql: "SELECT src, dst FROM edges").map { "\($0["src"] as Int64)-\($0["dst"] as Int64)" }))
        }
        let rows = try StageOutputReader.open(path: work.file("triplets.sqlite")).read { db in try Row.fetchAll(db, sql: "SELECT * FROM triplets") }
        #expect(rows.count == 10)
        var sameType = 0
        for row in rows {
            let anchor: Int64 = row["anchor"]
            let positive: Int64 = row["positive"]
            let negatives = NegativesBlob.decode(row["negatives"])
            #expect(negatives.count == 4)
            #expect(Set(negatives).count == 4)
            for negative in negatives {
                #expect(negative != anchor && negative != positive)
                #expect(!edges.contains("\(anchor)-\(negative)") && !edges.contains("\(negative)-\(anchor)"), "co-purchased negative")
                if types[negative] == types[positive] { sameType += 1 }
            }
        }
        if strategy == .compatibleType { #expect(sameType == 40) } else { #expect(sameType < 40) }
    }

    static let sampleCatalog = ["catalog/meta_2014_loose.json.gz", "catalog/meta_2018.jsonl", "catalog/meta_2023.jsonl"]
        .map { root.appendingPathComponent("SampleData/\($0)").path }

    @Test func splitsAreItemDisjointAndOutputIsTheSameAtAnyThreadCount() throws {
        let work = TemporaryDirectory("loom-triplets")
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: TripletStageTests.sampleCatalog, images: []))
        let report = try TripletStageTests.run(work, weights: [.reciprocal, .idf], trainFraction: 0.8, validFraction: 0.1, threads: 1)
        let one = try StageMeta.read(path: work.file("triplets.sqlite")).contentHash
        _ = try TripletStageTests.run(work, weights: [.reciprocal, .idf], trainFraction: 0.8, validFraction: 0.1, threads: 2)
        #expect(try StageMeta.read(path: work.file("triplets.sqlite")).contentHash == one)

        let kept = report.counts["kept_pairs"]!
        let dropped = ["dropped_same_type", "dropped_incompatible_types", "dropped_cross_split"].map { report.counts[$0] ?? 0 }.reduce(0, +)
        #expect(kept + dropped == report.counts["pairs"])
        #expect(kept > 500)
        let db = try StageOutputReader.open(path: work.file("triplets.sqlite"))
        try db.read { db in
            let splits = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT item, split FROM splits").map { ($0["item"] as Int64, $0["split"] as String) })
            var mixed = 0
            for row in try Row.fetchAll(db, sql: "SELECT * FROM triplets") {
                let split: String = row["split"]
                let members = [row["anchor"] as Int64, row["positive"] as Int64] + NegativesBlob.decode(row["negatives"])
                if members.contains(where: { splits[$0] != split }) { mixed += 1 }
            }
            #expect(mixed == 0)
            for split in ["train", "valid", "test"] {
                #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM triplets WHERE split = ?", arguments: [split])! > 0)
            }
            let weightMean = try Double.fetchOne(db, sql: "SELECT AVG(weight) FROM triplets")!
            #expect(abs(weightMean - 1) < 1e-9)
            let questions = try Row.fetchAll(db, sql: "SELECT * FROM fitb")
            #expect(questions.count > 10)
            for question in questions {
                let candidates = try JSONSerialization.jsonObject(with: Data((question["candidates"] as String).utf8)) as! [Int64]
                #expect(candidates.count == 4)
                #expect(candidates.contains(question["answer"]))
                #expect(Set(candidates).count == 4)
            }
        }
    }

    @Test func shardsSplitTheWorkByAnchorAndAddUpToTheWholeRun() throws {
        let work = TemporaryDirectory("loom-triplets")
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: TripletStageTests.sampleCatalog, images: []))
        let settings = TripletSettings.defaults
        let whole = try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, seed: 3, showProgress: false))
            .run(TripletStage(), settings: settings)
        #expect(whole.details["degree"]?.hasPrefix("min ") == true)
        #expect(whole.details["top_hubs"]?.hasPrefix("[{\"asin\"") == true)
        #expect(whole.details["weights"]?.contains("median") == true)
        func rows(_ path: String) throws -> [String] {
            try StageOutputReader.open(path: path).read { db in
                try Row.fetchAll(db, sql: "SELECT anchor, positive, weight, mentions, reciprocal, split, negatives FROM triplets").map(\.description)
            }
        }
        let expected = try rows(work.file("triplets.sqlite"))
        var union: [String] = []
        for index in 0..<3 {
            let shard = try Shard(index: index, count: 3)
            _ = try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, seed: 3, shard: shard, showProgress: false))
                .run(TripletStage(), settings: settings)
            union += try rows(work.file(StageRunner.outputFileName("triplets.sqlite", shard: shard)))
        }
        #expect(union.count == expected.count)
        #expect(union.sorted() == expected.sorted())
    }

    @Test func realAppliancesSampleRunsAndItsReportAddsUp() throws {
        let work = TemporaryDirectory("loom-triplets")
        let appliances = TripletStageTests.root.appendingPathComponent(
            "Tests/LoomIngestTests/Resources/2018_strict_jsonl/meta_Appliances.sample100.json.gz").path
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: [appliances], images: []))
        let report = try TripletStageTests.run(work, weights: [.reciprocal, .idf], trainFraction: 0.8, validFraction: 0.1)
        let edges = try StageOutputReader.open(path: work.file("catalog.sqlite")).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM edges WHERE kind IN ('also_bought', 'bought_together')")!
        }
        #expect(report.counts["edges_read"] == edges)
        let kept = report.counts["kept_pairs"] ?? 0
        let dropped = ["dropped_same_type", "dropped_incompatible_types", "dropped_cross_split"].map { report.counts[$0] ?? 0 }.reduce(0, +)
        #expect(kept + dropped == report.counts["pairs"])
        #expect(report.counts["pairs_reciprocal", default: 0] + report.counts["pairs_one_way", default: 0] == report.counts["pairs"])
    }

    /// A misspelt type in `compatible` is a usage error naming it and the known types, not a
    /// pair that silently matches nothing.
    @Test func unknownTypesInCompatiblePairsAreRefused() throws {
        var settings = TripletSettings.defaults
        settings.compatible = [["top", "bottm"]]
        let context = StageContext(workDirectory: TemporaryDirectory("loom-triplets").path, showProgress: false)
        do {
            _ = try TripletStage().inputs(settings, context: context)
            Issue.record("accepted a pair with an unknown type")
        } catch let LoomError.usage(message, _, key) {
            #expect(key == "compatible" && message.contains("'bottm'") && message.contains("outerwear"), "\(message)")
        }
        settings.compatible = [["top", "bottom"], ["dress", "shoes"]]
        #expect(throws: Never.self) { _ = try TripletStage().inputs(settings, context: context) }
    }
}
