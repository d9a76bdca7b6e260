import Foundation
import GRDB
import LoomCore
@testable import LoomEmbed
import LoomFeatures
import LoomImaging
import LoomImages
import LoomIngest
import LoomTestSupport
import LoomTokenizers
import LoomText
import Testing
@testable import LoomIndex
import LoomInference

/// The index stage on a small catalog run through ingest, text and embed (text only: no CNN, so
/// the test is quick): what it writes, what it refuses, and that `sqlite3` reads it.
@Suite struct IndexStageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let textModel = root.appendingPathComponent("Models/minilm-l6-v2").path

    static func workDirectory(_ existing: TemporaryDirectory? = nil, renamed: Set<Int> = [], removed: Set<Int> = [],
                              index: Bool = true, sentences: Bool = false) throws -> TemporaryDirectory {
        let work = existing ?? TemporaryDirectory("loom-index")
        let types = ["Shoes", "Jeans", "Dresses", "Tops, Tees & Blouses"]
        var lines = (0..<24).filter { !removed.contains($0) }.map { n in
            let title = renamed.contains(n) ? "Renamed item \(n) in a new colour" : "Item \(n) in colour \(n % 5)"
            return #"{"asin": "A\#(n)", "title": "\#(title)", "category": ["Clothing, Shoes & Jewelry", "Women", "\#(types[n % 4])"]}"#
        }
        lines.append(#"{"asin": "NOTEXT", "title": "", "category": ["Clothing, Shoes & Jewelry", "Women", "Shoes"]}"#)
        let catalog = work.file("catalog.jsonl")
        try lines.joined(separator: "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        let runner = StageRunner(context: StageContext(workDirectory: work.path, outDirectory: work.file("out"), threads: 2, showProgress: false))
        try runner.run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: [], maxRejectRatio: 1))
        try runner.run(ImagesStage(), settings: .defaults)   // no pictures: every item is text only
        var features = FeaturesSettings.defaults
        features.model = root.appendingPathComponent("Models/loomnet-v1").path
        try runner.run(FeaturesStage(), settings: features)
        var text = TextSettings.defaults
        text.vocab = root.appendingPathComponent("Models/wordpiece/vocab.txt").path
        text.maxRejectRatio = 1
        try runner.run(TextStage(), settings: text)
        try runner.run(EmbedStage(), settings: EmbedSettings(model: root.appendingPathComponent("Models/loomnet-v1").path,
                                                             batch: 32, textModel: sentences ? textModel : nil, maxRejectRatio: 1))
        if index { try runner.run(IndexStage(), settings: .defaults) }
        return work
    }

    @Test func writesUnitVectorsOfEveryEmbeddedItemAndListsTheRest() throws {
        let work = try Self.workDirectory()
        let path = work.file("out/index.sqlite")
        let index = try IndexFile(path: path)
        #expect(index.items.count == 24 && index.matrix.dim == 256)
        #expect(index.row(asin: "NOTEXT") == nil)
        #expect(index.meta["metric"] == "cosine" && index.meta["model"]?.hasSuffix("Models/loomnet-v1") == true)
        let rejects = try StageOutputReader.open(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT source, reason FROM rejects").map { "\($0["source"] as String) \($0["reason"] as String)" }
        }
        #expect(rejects == ["NOTEXT no_embedding"])
        for row in 0..<index.matrix.count {
            let norm = index.matrix.vector(row: row).map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        // An item's nearest neighbour is never itself once it is excluded; with it, it is first.
        let row = try #require(index.row(asin: "A3"))
        let own = VectorSearch.search(index.matrix.vector(row: row), queryCount: 1, in: index.matrix, k: 1)[0]
        #expect(own.first?.id == index.items[row].id)
    }

    static func tables(_ path: String) throws -> [String] {
        try StageOutputReader.open(path: path).read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.id, i.asin, i.title, i.type, hex(v.vector) AS v, hex(t.vector) AS t
                FROM items i JOIN vectors v USING (id) LEFT JOIN text_vectors t USING (id) ORDER BY i.id
                """).map {
                "\($0["id"] as Int64) \($0["asin"] as String) \($0["title"] as String? ?? "") \($0["type"] as String) \($0["v"] as String) \($0["t"] as String? ?? "-")"
            }
        }
    }

    /// With sentence vectors too: a row is copied only when both its vectors are unchanged.
    @Test func aRebuildCopiesUnchangedRowsAndWritesOnlyTheChangedOnes() throws {
        let work = try Self.workDirectory(sentences: true)
        let path = work.file("out/index.sqlite")
        let context = StageContext(workDirectory: work.path, outDirectory: work.file("out"), threads: 2, showProgress: false)
        // Two titles change: ingest, text and embed rerun; those two vectors change.
        _ = try Self.workDirectory(work, renamed: [3, 17], index: false, sentences: true)
        // Another connection reads the catalog throughout, as the runner's input hashing does
        // beside the stage: copying rows from the attached inputs must not need their locks.
        let reader = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let incremental = try reader.read { db in
            _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM items")
            return try StageRunner(context: context).run(IndexStage(), settings: .defaults)
        }
        try reader.close()
        #expect(incremental.counts["reused"] == 22 && incremental.counts["written"] == 2 && incremental.counts["indexed"] == 24, "\(incremental.counts)")
        let afterIncremental = try Self.tables(path)
        #expect(afterIncremental.contains { $0.contains("Renamed item 3") })
        #expect(!afterIncremental.contains { $0.hasSuffix(" -") }, "every item has a sentence vector")
        // The same rows as a rebuild from nothing.
        try FileManager.default.removeItem(atPath: path)
        let full = try StageRunner(context: context).run(IndexStage(), settings: .defaults)
        #expect(full.counts["reused"] == 0 && full.counts["written"] == 24)
        #expect(try Self.tables(path) == afterIncremental)

        // The first item gone: every id after it shifts, and the rows are still copied (by asin).
        _ = try Self.workDirectory(work, renamed: [3, 17], removed: [0], index: false, sentences: true)
        let shifted = try StageRunner(context: context).run(IndexStage(), settings: .defaults)
        #expect(shifted.counts["reused"] == 23 && shifted.counts["written"] == 0, "\(shifted.counts)")
        let afterChurn = try Self.tables(path)
        try FileManager.default.removeItem(atPath: path)
        _ = try StageRunner(context: context).run(IndexStage(), settings: .defaults)
        #expect(try Self.tables(path) == afterChurn)
    }

    /// The sentence space: one text vector per item with text, each its own nearest, `--type`'s
    /// codes shared with the fused space; an index without them says how to get them.
    @Test func textVectorsFormASecondSearchableSpace() throws {
        let work = try Self.workDirectory(sentences: true)
        let index = try IndexFile(path: work.file("out/index.sqlite"))
        #expect(index.meta["text_dim"] == "384" && index.meta["text_model"] == Self.textModel)
        let space = try TextSpace(index: index)
        #expect(space.matrix.count == 24 && space.matrix.dim == 384 && space.model == Self.textModel)
        for row in [0, 5, 23] {
            let hit = VectorSearch.search(space.matrix.vector(row: row), queryCount: 1, in: space.matrix, k: 1)[0]
            #expect(hit.first?.id == space.matrix.ids[row])
        }
        let shoes = UInt8(try #require(index.matrix.typeNames.firstIndex(of: "shoes")))
        let phrase = try SentenceEmbedder(directory: Self.textModel, maximumTokens: 128).embed(["item 7 in colour 2"])[0]
        let filtered = VectorSearch.search(phrase, queryCount: 1, in: space.matrix, k: 3,
                                           filter: SearchFilter(queries: 1, allowedTypes: [shoes]))[0]
        #expect(filtered.count == 3 && filtered.allSatisfy { index.item(id: $0.id)?.type == "shoes" })
        // Opened again: from the cache beside the index, the same vectors.
        #expect(FileManager.default.fileExists(atPath: work.file("out/index.sqlite.text-vectors")))
        #expect(try TextSpace(index: index).matrix.vector(row: 5) == space.matrix.vector(row: 5))

        // Only the text vectors change (a shorter token limit): no row is copied, each is written anew.
        let context = StageContext(workDirectory: work.path, outDirectory: work.file("out"), threads: 2, showProgress: false)
        try StageRunner(context: context).run(EmbedStage(), settings: EmbedSettings(
            model: Self.root.appendingPathComponent("Models/loomnet-v1").path, batch: 32, textModel: Self.textModel, textMaxTokens: 4,
            maxRejectRatio: 1))
        let rebuilt = try StageRunner(context: context).run(IndexStage(), settings: .defaults)
        #expect(rebuilt.counts["reused"] == 0 && rebuilt.counts["written"] == 24, "\(rebuilt.counts)")
        let shorter = try TextSpace(index: try IndexFile(path: work.file("out/index.sqlite")))
        #expect(shorter.maximumTokens == 4 && shorter.matrix.vector(row: 5) != space.matrix.vector(row: 5))

        let plain = try Self.workDirectory()
        #expect(throws: LoomError.self) { try TextSpace(index: try IndexFile(path: plain.file("out/index.sqlite"))) }
    }

    @Test func packedVectorsAreCachedBesideTheIndexAndRebuiltWhenItChanges() throws {
        let work = try Self.workDirectory()
        let path = work.file("out/index.sqlite"), cache = path + ".vectors"
        let first = try IndexFile(path: path)
        #expect(!first.loadedFromCache && FileManager.default.fileExists(atPath: cache))
        let second = try IndexFile(path: path)
        #expect(second.loadedFromCache)
        let query = first.matrix.vector(row: 5)
        #expect(VectorSearch.search(query, queryCount: 1, in: second.matrix, k: 8)
                == VectorSearch.search(query, queryCount: 1, in: first.matrix, k: 8))
        #expect((0..<first.matrix.count).allSatisfy { first.matrix.vector(row: $0) == second.matrix.vector(row: $0) })
        #expect(second.matrix.quantized == first.matrix.quantized, "the 8-bit codes and their norms come back from the cache")

        // A damaged cache is ignored and written again.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: cache))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: cache))
        #expect(try !IndexFile(path: path).loadedFromCache)
        #expect(try IndexFile(path: path).loadedFromCache)

        // A new index (other content) does not use the old cache.
        _ = try Self.workDirectory(work, renamed: [1], index: false)
        try StageRunner(context: StageContext(workDirectory: work.path, outDirectory: work.file("out"), threads: 2, showProgress: false))
            .run(IndexStage(), settings: .defaults)
        let rebuilt = try IndexFile(path: path)
        #expect(!rebuilt.loadedFromCache)
        let row = try #require(rebuilt.row(asin: "A1"))
        #expect(rebuilt.matrix.vector(row: row) != first.matrix.vector(row: try #require(first.row(asin: "A1"))))
    }

    @Test func theSqlite3CommandLineToolReadsTheIndex() throws {
        let work = try Self.workDirectory()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sqlite3", work.file("out/index.sqlite"),
                             "SELECT COUNT(*), MIN(length(vector)), MAX(length(vector)) FROM vectors JOIN items USING (id); PRAGMA integrity_check;"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0)
        #expect(output == "24|1024|1024\nok\n")
    }

    @Test func aTruncatedOrForeignFileIsRefusedNamingIt() throws {
        let work = try Self.workDirectory()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: work.file("out/index.sqlite")))
        for (name, content) in [("truncated.sqlite", bytes.prefix(bytes.count / 3)), ("garbage.sqlite", Data(repeating: 0x5A, count: 8192)),
                                ("empty.sqlite", Data())] {
            let path = work.file(name)
            try content.write(to: URL(fileURLWithPath: path))
            do {
                _ = try IndexFile(path: path)
                Issue.record("\(name) opened as an index")
            } catch let error as LoomError {
                #expect(String(describing: error).contains(path), "\(error)")
            }
        }
        // A copy whose meta holds a NULL value, and one whose items hold a NULL asin: GRDB's row
        // subscripts would stop the process (exit 132); the file is refused by name instead.
        for (name, damage) in [("null-meta.sqlite", "CREATE TABLE m2 AS SELECT * FROM meta; DROP TABLE meta; ALTER TABLE m2 RENAME TO meta; INSERT INTO meta VALUES ('note', NULL);"),
                               ("null-asin.sqlite", "CREATE TABLE i2 AS SELECT * FROM items; DROP TABLE items; ALTER TABLE i2 RENAME TO items; UPDATE items SET asin = NULL WHERE id = (SELECT MIN(id) FROM items);")] {
            let path = work.file(name)
            try bytes.write(to: URL(fileURLWithPath: path))
            try DatabaseQueue(path: path).write { db in try db.execute(sql: damage) }
            do {
                _ = try IndexFile(path: path)
                Issue.record("\(name) opened as an index")
            } catch let error as LoomError {
                #expect(error.exitStatus == .dataRejected && String(describing: error).contains(path)
                        && String(describing: error).contains("NULL where String is expected"), "\(error)")
            }
        }
        // Another stage's output is a SQLite file, but not an index.
        do {
            _ = try IndexFile(path: work.file("embeddings.sqlite"))
            Issue.record("embeddings.sqlite opened as an index")
        } catch {
            #expect(String(describing: error).contains("not a Loom index"))
        }
    }
}
