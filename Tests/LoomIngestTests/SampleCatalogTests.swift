import Foundation
import GRDB
@testable import LoomCore
import LoomTestSupport
import Testing
@testable import LoomIngest
@testable import LoomSampleData

/// Ingest over SampleData, checked against the generator's own model of the catalog.
@Suite struct SampleCatalogTests {
    static let products = SampleDataGenerator().products()

    @Test func allThreeShapesGiveTheGeneratorsItemsAndEdges() throws {
        let fixture = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages)
        let items = try fixture.items()
        let byAsin = Dictionary(uniqueKeysWithValues: items.map { ($0["asin"] as String, $0) })
        let ids = Dictionary(uniqueKeysWithValues: items.map { ($0["id"] as Int64, $0["asin"] as String) })
        #expect(items.count == SampleCatalogTests.products.count + 7)
        for product in SampleCatalogTests.products {
            let item = try #require(byAsin[product.asin], "\(product.asin) missing")
            #expect(item["title"] == product.title)
            #expect(item["type"] == product.kind.rawValue, "\(product.asin): \(product.title)")
            #expect(item["brand"] == product.brand)
            if let price = product.price {
                #expect(abs((item["price"] as Double? ?? -1) - price) < 1e-6)
            } else {
                #expect(item["price"] as Double? == nil)
            }
            #expect(item["image"] == IngestFixture.sample("images/\(product.imageFileName)"))
            if let description = item["description"] as String? {
                #expect(description.contains(product.description.components(separatedBy: ".").first!))
            } else {
                #expect(product.shape == .lines2023, "\(product.asin) lost its description")
            }
        }
        // Half the 2023 lines carry no description, as in the real 2023 dump.
        #expect(items.filter { ($0["description"] as String?) == nil }.count == 50)
        var expected = Set<String>()
        for product in SampleCatalogTests.products {
            for partner in product.alsoBought { expected.insert("\(product.asin) \(partner) also_bought") }
            // The 2018 shape has no bought_together list (as in the real 2018 dumps).
            if product.shape == .loose2014 {
                for partner in product.boughtTogether { expected.insert("\(product.asin) \(partner) bought_together") }
            }
            for partner in product.alsoViewed { expected.insert("\(product.asin) \(partner) also_viewed") }
        }
        let actual = Set(try fixture.edges().map { "\(ids[$0["src"]]!) \(ids[$0["dst"]]!) \($0["kind"] as String)" })
        #expect(actual.subtracting(expected).sorted().prefix(5) == [])
        #expect(expected.subtracting(actual).sorted().prefix(5) == [])
        #expect(actual.count > 2_000)
        #expect(fixture.report.counts["dangling_edges"] == 0)
    }

    @Test func corruptSetGivesTheExpectedRejectsAndNoCrash() throws {
        let fixture = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages)
        let rejects = try fixture.rejects()
        let corrupt = IngestFixture.sample("corrupt/meta_corrupt.jsonl")
        #expect(rejects.map { $0["source"] as String } == [corrupt, corrupt, corrupt])
        #expect(rejects.map { $0["position"] as String } == ["line 8", "line 9", "line 10"])
        #expect(rejects.map { $0["reason"] as String } == ["invalid_json", "invalid_utf8", "duplicate_asin"])
        let items = try fixture.items().filter { ($0["asin"] as String).hasPrefix("B0BAD") }
        #expect(items.count == 7)
        #expect(items.filter { ($0["image"] as String?) == nil }.map { $0["asin"] as String } == ["B0BAD00007"])
        // The duplicate kept the first title.
        let lines = try Data(contentsOf: URL(fileURLWithPath: corrupt)).split(separator: 0x0A)
        let duplicateAsin = (try JSONSerialization.jsonObject(with: Data(lines[9])) as! [String: Any])["asin"] as! String
        let first = try fixture.items().first { ($0["asin"] as String) == duplicateAsin }
        #expect((first?["title"] as String?)?.hasSuffix("(Duplicate Listing)") == false)
        #expect(fixture.report.counts["items_without_image"] == 1)
    }

    @Test func outputIsTheSameAtAnyThreadCountAndBatchSize() throws {
        let one = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages, threads: 1)
        let two = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages, threads: 2, batchRecords: 7)
        let hashOne = try StageMeta.read(path: one.path).contentHash
        let hashTwo = try StageMeta.read(path: two.path).contentHash
        #expect(hashOne == hashTwo)
    }

    /// The catalogs are hashed by the thread that reads them for parsing; `meta.inputs` must hold
    /// what hashing them on their own gives, or the next run would find ingest stale.
    @Test func recordedInputHashesAreTheCatalogFilesHashes() throws {
        let fixture = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages)
        let inputs = try StageMeta.read(path: fixture.path).inputs
        let expected = try IngestFixture.sampleCatalog.map { HashedInput(label: "catalog:\($0)", hash: try ContentHash.file(atPath: $0)) }
            + IngestFixture.sampleImages.map { HashedInput(label: "images:\($0)", hash: try ContentHash.directory(atPath: $0)) }
        #expect(inputs == expected)
    }

    /// Under `loom run` the freshness check hashes the catalogs first; ingest then reads them
    /// without hashing again, and records the hashes the check computed.
    @Test func hashesKnownFromTheFreshnessCheckAreNotComputedAgain() throws {
        let work = TemporaryDirectory("loom-ingest")
        let runner = StageRunner(context: StageContext(workDirectory: work.path, threads: 2, showProgress: false))
        let settings = IngestSettings(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages, maxRejectRatio: 0.05)
        try runner.run(IngestStage(), settings: settings)   // hashes the catalogs while reading them
        // The check hashes the inputs on its own: the recorded hashes must be what it finds.
        #expect(try runner.freshness(IngestStage(), settings: settings).mustRun == false)
        #expect(IngestFixture.sampleCatalog.allSatisfy { runner.hashCache.knownHash(of: $0) != nil })
        try runner.run(IngestStage(), settings: settings)   // reads them without hashing
        #expect(try runner.freshness(IngestStage(), settings: settings).mustRun == false)
        let inputs = try StageMeta.read(path: work.file("catalog.sqlite")).inputs
        #expect(inputs.prefix(IngestFixture.sampleCatalog.count).map(\.hash)
                == (try IngestFixture.sampleCatalog.map { try ContentHash.file(atPath: $0) }))
    }

    @Test func shardsPartitionItemsAndKeepGlobalIdsAndEdges() throws {
        let whole = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages)
        let shards = try (0..<3).map {
            try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages, shard: try Shard(index: $0, count: 3))
        }
        func rows(_ rows: [Row]) -> [String] { rows.map { $0.description } }
        let unionItems = try shards.flatMap { try $0.items() }.sorted { ($0["id"] as Int64) < ($1["id"] as Int64) }
        #expect(rows(unionItems) == rows(try whole.items()))
        let wholeEdges = Set(rows(try whole.edges()))
        let unionEdges = try shards.flatMap { rows(try $0.edges()) }
        #expect(unionEdges.count == wholeEdges.count)
        #expect(Set(unionEdges) == wholeEdges)
        #expect(try shards.map { try $0.rejects().count }.reduce(0, +) == 3)
        #expect(shards.allSatisfy { !(try! $0.items()).isEmpty })
    }

    @Test func tooManyRejectsFailWithExit65() throws {
        #expect {
            _ = try IngestFixture(catalog: [IngestFixture.sample("corrupt/meta_corrupt.jsonl")], maxRejectRatio: 0.1)
        } throws: { error in
            (error as? LoomError)?.exitStatus == .dataRejected
        }
    }

    /// A dump with more bad lines than the reject log buffers (4,096) keeps every one of them; the
    /// log used to write its full buffer from inside ingest's own write and crash.
    @Test func thousandsOfBadLinesAreAllRejectedWithoutACrash() throws {
        let work = TemporaryDirectory()
        let path = work.file("dirty.jsonl")
        var lines: [String] = []
        for index in 0..<10_000 {
            lines.append(#"{"asin": "B\#(String(format: "%08d", index))", "title": "Item \#(index)"}"#)
            if index % 2 == 0 { lines.append("{broken \(index)") }
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        for threads in [1, 2] {
            let ingest = try IngestFixture(catalog: [path], threads: threads, maxRejectRatio: 1)
            #expect(try ingest.items().count == 10_000)
            let rejects = try ingest.rejects()
            #expect(rejects.count == 5_000 && rejects.allSatisfy { ($0["reason"] as String) == "invalid_json" })
            #expect(ingest.report.rejects == 5_000)
        }
    }

    /// The item counts of the report are counted as items are stored; they must be what the
    /// table holds, whole or sharded, with and without duplicate lines that fill missing fields.
    @Test func reportedItemCountsAreTheTables() throws {
        let work = TemporaryDirectory()
        let duplicates = work.file("duplicates.jsonl")
        try [#"{"asin": "A1"}"#, #"{"asin": "A2", "title": "Two"}"#, #"{"asin": "A1", "title": "One", "imageURL": ["https://x/I/a1.jpg"]}"#,
             #"{"asin": "A3", "title": "Three"}"#].joined(separator: "\n").write(toFile: duplicates, atomically: true, encoding: .utf8)
        let runs = [
            try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages),
            try IngestFixture(catalog: IngestFixture.sampleCatalog, images: IngestFixture.sampleImages, shard: try Shard(index: 1, count: 3)),
            try IngestFixture(catalog: [IngestFixture.resource("2018_strict_jsonl/meta_Appliances.sample100.json.gz")]),
            try IngestFixture(catalog: [duplicates], images: [work.path]),
        ]
        for run in runs {
            let table = try run.read { db in
                try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, SUM(image IS NULL) AS i, SUM(title IS NULL) AS t FROM items")!
            }
            #expect(run.report.counts["items"] == table["n"])
            #expect(run.report.counts["items_without_image"] == table["i"])
            #expect(run.report.counts["items_without_title"] == (table["t"] as Int?) ?? 0)
        }
        #expect(runs[3].report.counts["items_without_title"] == 0 && runs[3].report.counts["duplicate_lines"] == 1)
    }

    /// The one JSON leniency is counted: lines kept although a string held a raw tab, newline or
    /// other control byte (in a kept or a skipped field), once per line, and shards add up.
    @Test func linesWithRawControlCharactersAreCounted() throws {
        let work = TemporaryDirectory()
        let path = work.file("raw.jsonl")
        let lines = [
            "{\"asin\": \"R1\", \"title\": \"tab\there\"}",
            "{\"asin\": \"R2\", \"title\": \"clean\", \"tech1\": \"<td>\u{01}x</td>\"}",
            "{\"asin\": \"R3\", \"title\": \"clean\", \"description\": \"escaped \\t is strict JSON\"}",
            "{\"asin\": \"R4\", \"title\": \"two\tcontrol\u{1F}bytes\", \"similar_item\": \"a\tb\"}",
            "{\"asin\": \"R5\", \"title\": \"broken \\x escape\tand a tab\"}",
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let whole = try IngestFixture(catalog: [path], maxRejectRatio: 1)
        #expect(whole.report.counts["lines_with_raw_control_characters"] == 3)
        #expect(try whole.items().count == 4 && whole.report.rejects == 1)
        #expect(try whole.read { db in try String.fetchOne(db, sql: "SELECT title FROM items WHERE asin = 'R1'") } == "tab here")
        let shards = try (0..<2).map { try IngestFixture(catalog: [path], shard: try Shard(index: $0, count: 2), maxRejectRatio: 1) }
        #expect(shards.map { $0.report.counts["lines_with_raw_control_characters"] ?? -1 }.reduce(0, +) == 3)
    }

    @Test func missingCatalogOrImageFolderIsInputMissing() {
        #expect {
            _ = try IngestFixture(catalog: ["/nonexistent/meta.json"])
        } throws: { error in (error as? LoomError)?.exitStatus == .inputMissing }
        #expect {
            _ = try IngestFixture(catalog: IngestFixture.sampleCatalog, images: ["/nonexistent/images"])
        } throws: { error in (error as? LoomError)?.exitStatus == .inputMissing }
    }
}
