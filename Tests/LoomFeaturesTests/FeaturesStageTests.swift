import Foundation
import GRDB
import LoomCore
import LoomFeatures
import LoomFormats
import LoomImages
import LoomImaging
import LoomInference
import LoomIngest
import LoomTestSupport
import Testing

/// The features stage on a catalog made from SampleData photos by the real ingest and images
/// stages: two items share one photo (colour variants do), one has its own, one has none.
@Suite struct FeaturesStageTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let model = root.appendingPathComponent("Models/loomnet-v1").path

    static func context(_ work: TemporaryDirectory, threads: Int = 2) -> StageContext {
        StageContext(workDirectory: work.path, threads: threads, showProgress: false)
    }

    /// Catalog and images for `photos` (asin → SampleData image file) plus `NOPHOTO`.
    static func workDirectory(_ photos: [(String, String)], imageSize: Int = 224) throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-features")
        let folder = work.file("pictures")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var lines: [String] = []
        for (asin, file) in photos {
            try FileManager.default.copyItem(atPath: root.appendingPathComponent("SampleData/images/\(file)").path,
                                             toPath: (folder as NSString).appendingPathComponent(asin + "." + (file as NSString).pathExtension))
            lines.append(#"{"asin": "\#(asin)", "title": "Leather Boots \#(asin)", "category": ["Clothing, Shoes & Jewelry", "Women", "Shoes"]}"#)
        }
        lines.append(#"{"asin": "NOPHOTO", "title": "Denim Jeans", "category": ["Clothing, Shoes & Jewelry", "Women", "Jeans"]}"#)
        let catalog = work.file("catalog.jsonl")
        try lines.joined(separator: "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        let runner = StageRunner(context: context(work))
        try runner.run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: [folder], maxRejectRatio: 1))
        var images = ImagesSettings.defaults
        (images.size, images.resizeShorter, images.maxRejectRatio) = (imageSize, max(imageSize, 64), 1)
        try runner.run(ImagesStage(), settings: images)
        return work
    }

    static func features(_ work: TemporaryDirectory, threads: Int = 2, maxRejectRatio: Double = 0.05,
                         precision: BackbonePrecision = .fp32) throws -> StageReport {
        var settings = FeaturesSettings.defaults
        (settings.model, settings.maxRejectRatio, settings.precision) = (model, maxRejectRatio, precision)
        return try StageRunner(context: context(work, threads: threads)).run(FeaturesStage(), settings: settings)
    }

    /// Each item's features, by asin, as later stages read them.
    static func visual(_ work: TemporaryDirectory) throws -> [String: [Float]] {
        let catalog = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let features = try StageOutputReader.open(path: work.file("features.sqlite"))
        var result: [String: [Float]] = [:]
        var after = Int64.min
        while case let chunk = try WorkItemReader.chunk(after: after, catalog: catalog), let first = chunk.first, let last = chunk.last {
            after = last.id
            let imageOf = try FeaturesReader.imageHashes(features, ids: first.id...last.id)
            let visual = try FeaturesReader.visual(features, hashes: Array(imageOf.values))
            for item in chunk { result[item.asin] = imageOf[item.id].flatMap { visual[$0] } }
        }
        return result
    }

    static let photos = [("RED", "713QBEWYL.jpg"), ("BLUE", "713QBEWYL.jpg"), ("DRESS", "710IVGUEL.png")]

    @Test func theBackboneRunsOncePerDistinctImageAndItsFeaturesAreTheNetworks() throws {
        let work = try Self.workDirectory(Self.photos)
        let report = try Self.features(work)
        #expect(report.counts["images"] == 3 && report.counts["distinct_images"] == 2 && report.counts["computed"] == 2
                && report.counts["reused"] == 0 && report.counts["items_without_image"] == 1)
        let computing = Double(report.details["computed_seconds"] ?? "") ?? -1
        #expect(computing > 0 && computing <= report.seconds, "the backbone's share of the stage's time: \(report.details)")
        let visual = try Self.visual(work)
        #expect(Set(visual.keys) == ["RED", "BLUE", "DRESS"] && visual["RED"] == visual["BLUE"] && visual["RED"] != visual["DRESS"])

        // The stored features are what the backbone computes from the stored image.
        let stored = try StageOutputReader.open(path: work.file("images.sqlite")).read { db in
            try Data.fetchOne(db, sql: "SELECT p.pixels FROM images i JOIN pixels p ON p.content_hash = i.pixels_hash ORDER BY i.id LIMIT 1")!
        }
        let pixels = try JPEGDecoder.decodeRGB([UInt8](stored), maxPixels: 224 * 224).0
        #expect(visual["RED"] == (try LoomNet(directory: Self.model).visualFeatures(pixels)))
    }

    /// A rerun after the catalog changed (a photo replaced, an item added, one gone) copies the
    /// unchanged images' features and computes the rest, and writes the same bytes as a run in
    /// an empty work directory; at one thread too.
    @Test func aRerunReusesUnchangedImagesAndEqualsAFreshRun() throws {
        let work = try Self.workDirectory(Self.photos)
        _ = try Self.features(work)
        let first = try StageMeta.read(path: work.file("features.sqlite")).contentHash
        // Next night: BLUE has a new photo, GREEN is new (sharing RED's), DRESS is gone.
        let next = try Self.workDirectory([("RED", "713QBEWYL.jpg"), ("BLUE", "715THG6KL.jpg"), ("GREEN", "713QBEWYL.jpg")])
        for name in ["catalog.sqlite", "images.sqlite"] {
            try FileManager.default.removeItem(atPath: work.file(name))
            try FileManager.default.copyItem(atPath: next.file(name), toPath: work.file(name))
        }
        let rerun = try Self.features(work)
        #expect(rerun.counts["distinct_images"] == 2 && rerun.counts["reused"] == 1 && rerun.counts["computed"] == 1, "\(rerun.counts)")
        let fresh = try Self.features(next, threads: 1)
        #expect(fresh.counts["computed"] == 2)
        let (rerunHash, freshHash) = (try StageMeta.read(path: work.file("features.sqlite")).contentHash,
                                      try StageMeta.read(path: next.file("features.sqlite")).contentHash)
        #expect(rerunHash == freshHash && rerunHash != first)
        #expect(try Self.visual(work).keys.sorted() == ["BLUE", "GREEN", "RED"])
    }

    /// `precision: int8`: the 8-bit backbone's features, close to the float ones but not equal,
    /// never mixed with a float run's rows (a switch computes every image again), the same at
    /// one and two threads.
    @Test func int8FeaturesAreTheQuantizedNetworksAndAreNotMixedWithFloatOnes() throws {
        let work = try Self.workDirectory(Self.photos)
        _ = try Self.features(work)
        let float = try Self.visual(work)
        let report = try Self.features(work, precision: .int8)
        #expect(report.counts["reused"] == 0 && report.counts["computed"] == 2, "\(report.counts)")
        let int8 = try Self.visual(work)
        for asin in ["RED", "DRESS"] {
            let (a, b) = (float[asin]!, int8[asin]!)
            let cosine = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                / (a.reduce(0.0) { $0 + Double($1 * $1) } * b.reduce(0.0) { $0 + Double($1 * $1) }).squareRoot()
            #expect(a != b && cosine > 0.99, "\(asin): cosine \(cosine)")
        }
        let stored = try StageOutputReader.open(path: work.file("images.sqlite")).read { db in
            try Data.fetchOne(db, sql: "SELECT p.pixels FROM images i JOIN pixels p ON p.content_hash = i.pixels_hash ORDER BY i.id LIMIT 1")!
        }
        let pixels = try JPEGDecoder.decodeRGB([UInt8](stored), maxPixels: 224 * 224).0
        #expect(int8["RED"] == (try LoomNet(directory: Self.model, backbonePrecision: .int8).visualFeatures(pixels)))
        let hash = try StageMeta.read(path: work.file("features.sqlite")).contentHash
        let again = try Self.workDirectory(Self.photos)
        _ = try Self.features(again, threads: 1, precision: .int8)
        #expect(try StageMeta.read(path: again.file("features.sqlite")).contentHash == hash)
    }

    @Test func anImageStoredAtAnotherSizeIsARejectOfEveryItemWithIt() throws {
        let work = try Self.workDirectory(Self.photos, imageSize: 64)
        let report = try Self.features(work, maxRejectRatio: 1)
        #expect(report.rejectsByReason["bad_stored_image"] == 3 && report.counts["computed"] == 2)
        let detail = try StageOutputReader.open(path: work.file("features.sqlite")).read { db in
            try String.fetchOne(db, sql: "SELECT detail FROM rejects WHERE reason = 'bad_stored_image'")
        }
        #expect(detail?.contains("64×64") == true && detail?.contains("224×224") == true, "\(detail ?? "no reject")")
        #expect(try Self.visual(work).isEmpty)
    }

    /// A model may only read features of its own backbone.
    @Test func aModelWithAnotherBackboneRefusesTheFeatures() throws {
        let work = try Self.workDirectory(Self.photos)
        _ = try Self.features(work)
        #expect(throws: Never.self) { try ModelInput.checkBackbone(featuresPath: work.file("features.sqlite"), model: Self.model) }
        try DatabaseQueue(path: work.file("features.sqlite")).write { db in
            try db.execute(sql: "UPDATE meta SET value = 'another' WHERE key = 'backbone_hash'")
        }
        do {
            try ModelInput.checkBackbone(featuresPath: work.file("features.sqlite"), model: Self.model)
            Issue.record("features of another backbone accepted")
        } catch let error as LoomError {
            #expect(error.exitStatus == .usage && "\(error)".contains("rerun features with --model \(Self.model)"), "\(error)")
        }
    }
}
