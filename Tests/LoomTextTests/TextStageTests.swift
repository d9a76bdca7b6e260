import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomIngest
import LoomTestSupport
import Testing
@testable import LoomTokenizers
@testable import LoomText

/// Stage text over a real ingest of SampleData.
@Suite struct TextStageTests {
    static let root = WordPieceReferenceTests.root
    static let sample = root.appendingPathComponent("SampleData").path
    static let catalog = ["catalog/meta_2014_loose.json.gz", "catalog/meta_2018.jsonl", "catalog/meta_2023.jsonl",
                          "corrupt/meta_corrupt.jsonl"].map { sample + "/" + $0 }

    /// A work directory with SampleData ingested.
    static func ingested(threads: Int = 2, catalog: [String] = catalog) throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-text")
        try StageRunner(context: StageContext(workDirectory: work.path, threads: threads, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: catalog, images: []))
        return work
    }

    static func settings(_ tokenizer: TextSettings.Tokenizer = .bert, maxLength: Int = 64, maxRejectRatio: Double = 0.05) -> TextSettings {
        var settings = TextSettings.defaults
        settings.tokenizer = tokenizer
        settings.vocab = tokenizer == .bert ? root.appendingPathComponent("Models/wordpiece/vocab.txt").path : nil
        settings.maxLength = maxLength
        settings.maxRejectRatio = maxRejectRatio
        return settings
    }

    static func run(_ work: TemporaryDirectory, _ settings: TextSettings, threads: Int = 2, shard: Shard = .whole) throws -> StageReport {
        try StageRunner(context: StageContext(workDirectory: work.path, threads: threads, seed: 7, shard: shard, showProgress: false))
            .run(TextStage(), settings: settings)
    }

    @Test func bertIdsOfEveryItemAreTheTokenizersIds() throws {
        let work = try TextStageTests.ingested()
        let report = try TextStageTests.run(work, TextStageTests.settings(maxLength: 48))
        #expect(report.rejects == 0)
        let tokenizer = WordPieceReferenceTests.tokenizer
        let catalog = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let texts = try catalog.read { db in
            try Row.fetchAll(db, sql: "SELECT id, title, description FROM items").map {
                ($0["id"] as Int64, [$0["title"] as String?, $0["description"] as String?].compactMap { $0 }.joined(separator: " "))
            }
        }
        let output = try StageOutputReader.open(path: work.file("text.sqlite"))
        try output.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY id")
            #expect(rows.count == texts.count)
            for (row, (id, text)) in zip(rows, texts) {
                let expected = tokenizer.encode(text, maxLength: 48)
                #expect(row["id"] == id)
                #expect(TokenIDsBlob.decode(row["ids"], width: 2) == expected.ids)
                #expect(row["length"] == expected.ids.count)
                #expect(row["truncated"] == expected.truncated)
            }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM vocab") == 30_522)
            #expect(try String.fetchOne(db, sql: "SELECT token FROM vocab WHERE id = 101") == "[CLS]")
        }
        let values = try StageMeta.read(path: work.file("text.sqlite")).extra
        #expect(values["tokenizer"] == "bert")
        #expect(values["vocab_size"] == "30522")
        #expect(values["id_width"] == "2")
        #expect(values["vocab_hash"]?.count == 64)
        #expect(report.counts["truncated"]! > 0)
    }

    @Test func anItemWithoutTitleOrDescriptionIsANoTextReject() throws {
        let work = TemporaryDirectory("loom-text")
        let catalog = work.file("tiny.jsonl")
        try """
            {"asin": "B01", "brand": "Nameless"}
            {"asin": "B02", "title": "Black ankle boots"}
            {"asin": "B03", "description": ["Soft &amp; warm"]}
            """.write(toFile: catalog, atomically: true, encoding: .utf8)
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 1, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: []))
        #expect(throws: LoomError.self) { try TextStageTests.run(work, TextStageTests.settings()) }
        let report = try TextStageTests.run(work, TextStageTests.settings(maxRejectRatio: 0.5))
        #expect(report.rejectsByReason == ["no_text": 1])
        #expect(report.counts["encoded"] == 2)
        let output = try StageOutputReader.open(path: work.file("text.sqlite"))
        let reject = try output.read { db in try Row.fetchOne(db, sql: "SELECT * FROM rejects") }
        #expect(reject?["source"] == "B01")
        #expect(reject?["reason"] == "no_text")
    }

    @Test func wordVocabularyComesFromTrainingItemsOnly() throws {
        let work = try TextStageTests.ingested()
        _ = try TextStageTests.run(work, TextStageTests.settings(.word, maxLength: 16))
        let output = try StageOutputReader.open(path: work.file("text.sqlite"))
        let vocabulary = try output.read { db in try String.fetchAll(db, sql: "SELECT token FROM vocab ORDER BY id") }
        #expect(vocabulary.prefix(2) == ["[PAD]", "[UNK]"])

        // Recount independently: words of training items (split by asin and seed 7), min count 2.
        let split = ItemSplit(seed: 7, trainFraction: 0.8, validFraction: 0)
        let catalog = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let items = try catalog.read { db in try Row.fetchAll(db, sql: "SELECT asin, title, description FROM items ORDER BY id") }
        var counts: [String: Int] = [:]
        let basic = BertBasicTokenizer()
        var trainItems = 0
        for item in items where split.part(of: item["asin"]) == .train {
            trainItems += 1
            let text = [item["title"] as String?, item["description"] as String?].compactMap { $0 }.joined(separator: " ")
            for word in basic.words(text) { counts[String(String.UnicodeScalarView(word)), default: 0] += 1 }
        }
        #expect(trainItems > 200 && trainItems < items.count)
        let expected = counts.filter { $0.value >= 2 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map(\.key)
        #expect(Array(vocabulary.dropFirst(2)) == expected)
    }

    @Test func sameBytesAtAnyThreadCountAndShardsPartitionItems() throws {
        let work = try TextStageTests.ingested()
        _ = try TextStageTests.run(work, TextStageTests.settings(), threads: 1)
        let one = try StageMeta.read(path: work.file("text.sqlite")).contentHash
        _ = try TextStageTests.run(work, TextStageTests.settings(), threads: 2)
        #expect(try StageMeta.read(path: work.file("text.sqlite")).contentHash == one)

        let whole = try StageOutputReader.open(path: work.file("text.sqlite"))
        let wholeRows = try whole.read { db in try Row.fetchAll(db, sql: "SELECT * FROM tokens ORDER BY id").map(\.description) }
        var union: [String] = []
        for index in 0..<2 {
            let shard = try Shard(index: index, count: 2)
            _ = try TextStageTests.run(work, TextStageTests.settings(), shard: shard)
            let path = work.file(StageRunner.outputFileName("text.sqlite", shard: shard))
            union += try StageOutputReader.open(path: path).read { db in try Row.fetchAll(db, sql: "SELECT * FROM tokens").map(\.description) }
        }
        #expect(union.sorted() == wholeRows.sorted())
    }

    @Test func idBlobsRoundTripAtBothWidths() {
        let ids: [Int32] = [0, 1, 101, 30_521, 65_535]
        #expect(TokenIDsBlob.decode(TokenIDsBlob.encode(ids, width: 2), width: 2) == ids)
        let wide: [Int32] = [0, 65_536, 1_000_000]
        #expect(TokenIDsBlob.decode(TokenIDsBlob.encode(wide, width: 4), width: 4) == wide)
        #expect(TokenIDsBlob.encode([1, 258], width: 2) == Data([1, 0, 2, 1]))
    }
}
