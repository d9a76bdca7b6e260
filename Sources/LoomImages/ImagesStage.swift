import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomImaging

/// Stage images: every item's image file → normalised RGB8 (raw or JPEG) in `work/images.sqlite`;
/// each file that cannot be used is a reject with its reason, and the run goes on.
public struct ImagesStage: Stage {
    public typealias Settings = ImagesSettings

    public static let name = StageOutputFile.images.stage
    public static let outputFileName = StageOutputFile.images.fileName
    static let catalog = StageOutputFile.catalog.input
    static let chunkItems = 256

    public init() {}

    /// The catalog, and each folder holding an image it names (fingerprinted: a replaced file
    /// reruns the stage even when the catalog is unchanged).
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        let path = context.workPath(.catalog)
        guard FileManager.default.fileExists(atPath: path) else { return [ImagesStage.catalog] }
        let folders = try CatalogReader.imageFolders(try StageOutputReader.open(path: path))
        return [ImagesStage.catalog] + folders.filter { FileManager.default.fileExists(atPath: $0) }
            .map { .directory(label: "images", path: $0) }
    }

    enum Outcome: Sendable {
        case pixels([UInt8])
        case reject(ImageError)
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        defer { try? catalog.close() }
        let items = try CatalogReader.itemImages(catalog).filter { context.shard.contains(key: $0.asin) }
        let withoutImage = try CatalogReader.countWithoutImage(catalog)
        try output.database.write { db in
            try db.execute(sql: StageOutputFile.images.schema)
        }
        let normalizer = settings.normalizer
        let progress = context.progress("images", total: items.count)
        defer { progress.finish() }
        var counts = ["images": 0, "items_without_image": withoutImage, "bytes_stored": 0]
        var bytesRead = 0
        for start in stride(from: 0, to: items.count, by: ImagesStage.chunkItems) {
            let chunk = Array(items[start..<min(start + ImagesStage.chunkItems, items.count)])
            let outcomes = try ParallelMap.map(chunk, threads: context.threads) { item -> (Outcome, Int) in
                let (bytes, error) = ImageFile.read(item.path)
                guard let bytes else { return (.reject(error!), 0) }
                do throws(ImageError) {
                    var pixels = try normalizer.normalize(bytes)
                    if settings.encoding == .jpeg {
                        pixels = try JPEGEncoder.encode(pixels, width: settings.size, height: settings.size, quality: settings.jpegQuality)
                    }
                    return (.pixels(pixels), bytes.count)
                } catch {
                    return (.reject(error), bytes.count)
                }
            }
            try output.database.write { db in
                let insert = try BoundStatement(db, sql: "INSERT INTO images (id, width, height, encoding, pixels) VALUES (?, ?, ?, ?, ?)")
                for (item, (outcome, read)) in zip(chunk, outcomes) {
                    bytesRead += read
                    switch outcome {
                    case .pixels(let pixels):
                        insert.bind(1, item.id)
                        insert.bind(2, Int64(settings.size))
                        insert.bind(3, Int64(settings.size))
                        insert.bind(4, settings.encoding.rawValue)
                        insert.bind(5, Data(pixels))
                        try insert.run()
                        counts["images", default: 0] += 1
                        counts["bytes_stored", default: 0] += pixels.count
                    case .reject(let error):
                        output.rejects.record(source: item.asin, position: item.path, reason: error.rejectReason, detail: error.message)
                    }
                }
            }
            progress.advance(by: chunk.count)
        }
        var result = StageResult(records: items.count, counts: counts, unit: "images", bytes: bytesRead)
        result.meta = ["size": String(settings.size), "encoding": settings.encoding.rawValue]
        return result
    }
}
