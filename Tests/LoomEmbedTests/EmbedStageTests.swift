import Foundation
import GRDB
import LoomCore
import LoomFeatures
import LoomFormats
import LoomImaging
import LoomImages
import LoomInference
import LoomIngest
import LoomTestSupport
import LoomTokenizers
import LoomText
import Testing
@testable import LoomEmbed

/// The embed stage on a hand-made catalog run through the real ingest, images, features and text stages:
/// one item with an image and a title, one with a title only, one with an image only, one with
/// neither.
@Suite struct EmbedStageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let model = root.appendingPathComponent("Models/loomnet-v1").path
    static let vocab = root.appendingPathComponent("Models/wordpiece/vocab.txt").path

    static func context(_ work: TemporaryDirectory, threads: Int = 2) -> StageContext {
        StageContext(workDirectory: work.path, threads: threads, showProgress: false)
    }

    /// A work directory with catalog, images, features and text for the four items.
    static func workDirectory() throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-embed")
        let images = work.file("pictures")
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for (asin, file) in [("BOTH", "713QBEWYL.jpg"), ("IMAGEONLY", "710IVGUEL.png")] {
            try FileManager.default.copyItem(atPath: root.appendingPathComponent("SampleData/images/\(file)").path,
                                             toPath: (images as NSString).appendingPathComponent(asin + "." + (file as NSString).pathExtension))
        }
        let lines = [
            #"{"asin": "BOTH", "title": "Women's Black Leather Ankle Boots", "category": ["Clothing, Shoes & Jewelry", "Women", "Shoes"]}"#,
            #"{"asin": "TEXTONLY", "title": "Slim Fit Denim Jeans", "category": ["Clothing, Shoes & Jewelry", "Women", "Jeans"]}"#,
            #"{"asin": "IMAGEONLY", "title": "", "category": ["Clothing, Shoes & Jewelry", "Women", "Dresses"]}"#,
            #"{"asin": "NEITHER", "title": "", "category": ["Clothing, Shoes & Jewelry", "Women", "Dresses"]}"#,
        ]
        let catalog = work.file("catalog.jsonl")
        try lines.joined(separator: "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        let runner = StageRunner(context: context(work))
        try runner.run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: [images], maxRejectRatio: 1))
        var imageSettings = ImagesSettings.defaults
        imageSettings.maxRejectRatio = 1
        try runner.run(ImagesStage(), settings: imageSettings)
        var features = FeaturesSettings.defaults
        features.model = model
        try runner.run(FeaturesStage(), settings: features)
        var textSettings = TextSettings.defaults
        textSettings.vocab = vocab
        textSettings.maxRejectRatio = 1
        try runner.run(TextStage(), settings: textSettings)
        return work
    }

    static let textModel = root.appendingPathComponent("Models/minilm-l6-v2").path

    static func embed(_ work: TemporaryDirectory, threads: Int = 2, batch: Int = 32, textModel: String? = nil,
                      textMaxTokens: Int = 128) throws -> StageReport {
        try StageRunner(context: context(work, threads: threads))
            .run(EmbedStage(), settings: EmbedSettings(model: model, batch: batch, textModel: textModel, textMaxTokens: textMaxTokens,
                                                       maxRejectRatio: 0.05))
    }

    /// The sentence vectors of embeddings.sqlite, by asin.
    static func textRows(_ work: TemporaryDirectory) throws -> [String: [Float]] {
        let asins = try StageOutputReader.open(path: work.file("catalog.sqlite")).read { db in
            Dictionary(uniqueKeysWithValues: try GRDB.Row.fetchAll(db, sql: "SELECT id, asin FROM items").map { ($0["id"] as Int64, $0["asin"] as String) })
        }
        return try StageOutputReader.open(path: work.file("embeddings.sqlite")).read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT id, vector FROM text_embeddings").reduce(into: [:]) { rows, row in
                rows[asins[row["id"]] ?? "?"] = FloatBlob.decode(row["vector"])!
            }
        }
    }

    /// With a text model: a sentence vector for each item with text, the encoder's own vector of
    /// its title, the same at 1 and 2 threads; a rerun copies them all, another token limit
    /// computes them again; without a text model the table is empty.
    @Test func textVectorsAreTheEncodersAndReusedWhenTheirIdsAreUnchanged() throws {
        try #require(FileManager.default.fileExists(atPath: Self.textModel + "/model.safetensors"), "make fetches Models/minilm-l6-v2")
        let work = try Self.workDirectory()
        let first = try Self.embed(work, threads: 1, textModel: Self.textModel)
        #expect(first.counts["text_embedded"] == 2 && first.counts["text_computed"] == 2 && first.counts["no_text"] == 2)
        let rows = try Self.textRows(work)
        #expect(Set(rows.keys) == ["BOTH", "TEXTONLY"])
        let embedder = try SentenceEmbedder(directory: Self.textModel, maximumTokens: 128)
        let direct = try embedder.embed(["Women's Black Leather Ankle Boots"])[0]
        #expect(rows["BOTH"] == direct)
        #expect(try StageMeta.read(path: work.file("embeddings.sqlite")).extra["text_dim"] == "384")

        _ = try FileManager.default.removeItem(atPath: work.file("embeddings.sqlite"))
        let twoThreads = try Self.embed(work, threads: 2, textModel: Self.textModel)
        #expect(twoThreads.counts["text_computed"] == 2)
        #expect(try Self.textRows(work) == rows)
        let again = try Self.embed(work, textModel: Self.textModel)
        #expect(again.counts["text_reused"] == 2 && again.counts["text_computed"] == 0)
        #expect(try Self.textRows(work) == rows)
        let shorter = try Self.embed(work, textModel: Self.textModel, textMaxTokens: 4)
        #expect(shorter.counts["text_reused"] == 0 && shorter.counts["text_computed"] == 2)
        #expect(try Self.textRows(work)["BOTH"] != rows["BOTH"], "cut at 4 ids: another vector")
        _ = try Self.embed(work)
        #expect(try Self.textRows(work).isEmpty)
    }

    struct Row: Equatable {
        var asin: String
        var vector: [Float]
        var hasImage: Bool
        var hasText: Bool
    }

    static func rows(_ work: TemporaryDirectory) throws -> [String: Row] {
        let asins = try StageOutputReader.open(path: work.file("catalog.sqlite")).read { db in
            Dictionary(uniqueKeysWithValues: try GRDB.Row.fetchAll(db, sql: "SELECT id, asin FROM items").map { ($0["id"] as Int64, $0["asin"] as String) })
        }
        return try StageOutputReader.open(path: work.file("embeddings.sqlite")).read { db in
            try GRDB.Row.fetchAll(db, sql: "SELECT id, vector, has_image, has_text FROM embeddings").reduce(into: [:]) { rows, row in
                let asin = asins[row["id"]] ?? "?"
                rows[asin] = Row(asin: asin, vector: FloatBlob.decode(row["vector"])!, hasImage: row["has_image"], hasText: row["has_text"])
            }
        }
    }

    @Test func eachItemGetsItsTowersOrTheZeroFallbackAndTheReportCountsThem() throws {
        let work = try Self.workDirectory()
        let report = try Self.embed(work)
        #expect(report.counts["image_and_text"] == 1 && report.counts["text_only"] == 1 && report.counts["image_only"] == 1)
        #expect(report.counts["embedded"] == 3 && report.rejectsByReason == ["no_image_or_text": 1])
        let rows = try Self.rows(work)
        #expect(Set(rows.keys) == ["BOTH", "TEXTONLY", "IMAGEONLY"])
        for row in rows.values {
            #expect(row.vector.count == 256)
            let norm = row.vector.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            #expect(abs(norm - 1) < 1e-5, "\(row.asin): |v| = \(norm)")
        }
        #expect(rows["TEXTONLY"]?.hasText == true && rows["TEXTONLY"]?.hasImage == false)
        #expect(rows["IMAGEONLY"]?.hasText == false && rows["IMAGEONLY"]?.hasImage == true)

        // The stored row is what the network computes from the stored image and ids.
        let images = try StageOutputReader.open(path: work.file("images.sqlite"))
        let blob = try images.read { db in try Data.fetchOne(db, sql: "SELECT p.pixels FROM images i JOIN pixels p ON p.content_hash = i.pixels_hash ORDER BY i.id LIMIT 1")! }
        let pixels = try JPEGDecoder.decodeRGB([UInt8](blob), maxPixels: 224 * 224).0
        let tokens = WordPieceTokenizer(vocabulary: try WordPieceVocabulary(path: Self.vocab))
            .encode("Women's Black Leather Ankle Boots", maxLength: 64).ids
        let direct = try LoomNet(directory: Self.model).forward([.init(pixels: pixels, tokens: tokens)], threads: 1)[0]
        #expect(rows["BOTH"]?.vector == direct.embedding)
    }

    @Test func theSameVectorsAtAnyThreadCountAndBatchSize() throws {
        let work = try Self.workDirectory()
        _ = try Self.embed(work, threads: 1, batch: 32)
        let single = try Self.rows(work)
        _ = try Self.embed(work, threads: 2, batch: 1)
        #expect(try Self.rows(work) == single)
    }

    @Test func refusesTokenIdsMadeWithAnotherVocabulary() throws {
        let work = try Self.workDirectory()
        var words = TextSettings.defaults
        words.tokenizer = .word
        words.minCount = 1
        words.maxRejectRatio = 1
        try StageRunner(context: Self.context(work)).run(TextStage(), settings: words)
        do {
            _ = try Self.embed(work)
            Issue.record("embedded ids of a word vocabulary with a WordPiece model")
        } catch {
            #expect(String(describing: error).contains("another vocabulary"), "\(error)")
        }
    }

    /// Features the features stage could not make (an image stored at another size) leave the
    /// item without its visual tower, as an item without a photo.
    @Test func anItemWhoseImageHasNoFeaturesIsEmbeddedWithoutIt() throws {
        let work = try Self.workDirectory()
        var small = ImagesSettings.defaults
        small.size = 64
        small.resizeShorter = 64
        small.maxRejectRatio = 1
        try StageRunner(context: Self.context(work)).run(ImagesStage(), settings: small)
        var features = FeaturesSettings.defaults
        (features.model, features.maxRejectRatio) = (Self.model, 1)
        #expect(try StageRunner(context: Self.context(work)).run(FeaturesStage(), settings: features).rejectsByReason["bad_stored_image"] == 2)
        let settings = EmbedSettings(model: Self.model, batch: 32, maxRejectRatio: 1)
        let report = try StageRunner(context: Self.context(work)).run(EmbedStage(), settings: settings)
        #expect(report.counts["text_only"] == 2 && report.counts["image_and_text"] == 0 && report.rejectsByReason == ["no_image_or_text": 2])
    }
}
