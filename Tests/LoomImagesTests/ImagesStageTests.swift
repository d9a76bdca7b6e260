import Foundation
import GRDB
import LoomCore
import LoomIngest
import LoomTestSupport
import Testing
@testable import LoomImaging
@testable import LoomImages
@testable import LoomSampleData

/// Stage images over a real ingest of SampleData, corrupt set included.
@Suite struct ImagesStageTests {
    static let sample = PNGDecoderTests.resources.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData").path

    static func ingested() throws -> TemporaryDirectory {
        let work = TemporaryDirectory("loom-images")
        let catalog = ["catalog/meta_2014_loose.json.gz", "catalog/meta_2018.jsonl", "catalog/meta_2023.jsonl",
                       "corrupt/meta_corrupt.jsonl"].map { sample + "/" + $0 }
        try StageRunner(context: StageContext(workDirectory: work.path, threads: 2, showProgress: false))
            .run(IngestStage(), settings: IngestSettings(catalog: catalog, images: [sample + "/images", sample + "/corrupt/images"]))
        return work
    }

    static func run(_ work: TemporaryDirectory, encoding: ImagesSettings.Encoding, threads: Int) throws -> StageReport {
        var settings = ImagesSettings.defaults
        settings.encoding = encoding
        return try StageRunner(context: StageContext(workDirectory: work.path, threads: threads, showProgress: false))
            .run(ImagesStage(), settings: settings)
    }

    @Test func everySampleImageIsNormalisedAndEveryCorruptOneRejectedWithItsReason() throws {
        let work = try ImagesStageTests.ingested()
        let report = try ImagesStageTests.run(work, encoding: .raw, threads: 2)
        #expect(report.counts["images"] == 300)
        #expect(report.counts["items_without_image"] == 1)
        #expect(report.rejectsByReason == ["truncated": 1, "corrupt_data": 1, "not_an_image": 2, "too_large": 2])
        let db = try StageOutputReader.open(path: work.file("images.sqlite"))
        let rejects = try db.read { db in try Row.fetchAll(db, sql: "SELECT source, reason FROM rejects ORDER BY source") }
        #expect(rejects.map { $0["source"] as String } == (1...6).map { String(format: "B0BAD%05d", $0) })
        let sizes = try db.read { db in try Int.fetchAll(db, sql: "SELECT DISTINCT length(pixels) FROM pixels") }
        #expect(sizes == [224 * 224 * 3])
    }

    /// A JPEG stored turned, with its EXIF orientation, comes out as the generator painted it upright.
    @Test func rotatedSamplePhotosComeOutUpright() throws {
        let work = try ImagesStageTests.ingested()
        _ = try ImagesStageTests.run(work, encoding: .raw, threads: 2)
        let products = SampleDataGenerator().products().filter { $0.orientation != 1 }
        #expect(products.count >= 5)
        let output = try StageOutputReader.open(path: work.file("images.sqlite"))
        let catalog = try StageOutputReader.open(path: work.file("catalog.sqlite"))
        let normalizer = ImageNormalizer()
        for product in products {
            let picture = GarmentPainter().paint(product, transparent: false)
            var rgba = [UInt8]()
            for index in 0..<(picture.width * picture.height) {
                rgba += [picture.pixels[3 * index], picture.pixels[3 * index + 1], picture.pixels[3 * index + 2], 255]
            }
            let expected = normalizer.normalize(RGBAImage(width: picture.width, height: picture.height, pixels: rgba))
            let id = try catalog.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM items WHERE asin = ?", arguments: [product.asin])! }
            let stored = try output.read { db in try Data.fetchOne(db, sql: "SELECT p.pixels FROM images i JOIN pixels p ON p.content_hash = i.pixels_hash WHERE i.id = ?", arguments: [id])! }
            let difference = zip(expected, stored).map { abs(Int($0) - Int($1)) }.reduce(0, +)
            let mean = Double(difference) / Double(expected.count)
            #expect(mean < 4, "\(product.asin) orientation \(product.orientation): mean difference \(mean)")
        }
    }

    @Test func outputIsTheSameAtAnyThreadCount() throws {
        let work = try ImagesStageTests.ingested()
        _ = try ImagesStageTests.run(work, encoding: .jpeg, threads: 1)
        let one = try StageMeta.read(path: work.file("images.sqlite")).contentHash
        _ = try ImagesStageTests.run(work, encoding: .jpeg, threads: 2)
        #expect(try StageMeta.read(path: work.file("images.sqlite")).contentHash == one)
    }
}
