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
    /// The version of what this stage computes from an image file (decode, orient, resize,
    /// crop, encode); rows are reused under the same version, not the same Loom version.
    public static let algorithm = "images/1"

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

    /// What becomes of one item's image file.
    enum Outcome: Sendable {
        /// Decoded and normalised here.
        case pixels([UInt8])
        /// The row of the same file bytes in the previous output, copied.
        case reused(StoredImage)
        case reject(ImageError)
    }

    /// One item's outcome, with the file's hash and stamp when they are known (for the row and
    /// for the next run's cache) and the bytes read.
    struct Processed: Sendable {
        var outcome: Outcome
        var hash: String?
        var stamp: FileStamp?
        var bytesRead = 0
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
        let reuseKey = try settings.reuseKey()
        let previous = output.previous(reuseKey: reuseKey)
        defer { try? previous?.close() }
        let progress = context.progress("images", total: items.count)
        defer { progress.finish() }
        var counts = ["images": 0, "items_without_image": withoutImage, "bytes_stored": 0, "reused": 0, "computed": 0,
                      "files_read": 0]
        var bytesRead = 0
        var clock = ComputeClock()
        for start in stride(from: 0, to: items.count, by: ImagesStage.chunkItems) {
            let chunk = Array(items[start..<min(start + ImagesStage.chunkItems, items.count)])
            let processed = try process(chunk, settings: settings, previous: previous, threads: context.threads, clock: &clock)
            try output.database.write { db in
                let insert = try BoundStatement(db, sql: """
                    INSERT INTO images (id, width, height, encoding, pixels, source_hash, pixels_hash) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """)
                let remember = try BoundStatement(db, sql: """
                    INSERT OR REPLACE INTO cache_file_hashes (path, size, modified, inode, hash) VALUES (?, ?, ?, ?, ?)
                    """)
                for (item, result) in zip(chunk, processed) {
                    bytesRead += result.bytesRead
                    counts["files_read", default: 0] += result.bytesRead > 0 ? 1 : 0
                    if let stamp = result.stamp, let hash = result.hash {
                        remember.bind(1, stamp.path)
                        remember.bind(2, stamp.size)
                        remember.bind(3, stamp.modified)
                        remember.bind(4, Int64(bitPattern: stamp.inode))
                        remember.bind(5, hash)
                        try remember.run()
                    }
                    let stored: StoredImage
                    switch result.outcome {
                    case .pixels(let pixels):
                        stored = StoredImage(width: settings.size, height: settings.size, encoding: settings.encoding, pixels: Data(pixels))
                        counts["computed", default: 0] += 1
                    case .reused(let image):
                        stored = image
                        counts["reused", default: 0] += 1
                    case .reject(let error):
                        output.rejects.record(source: item.asin, position: item.path, reason: error.rejectReason, detail: error.message)
                        continue
                    }
                    insert.bind(1, item.id)
                    insert.bind(2, Int64(stored.width))
                    insert.bind(3, Int64(stored.height))
                    insert.bind(4, stored.encoding.rawValue)
                    insert.bind(5, stored.pixels)
                    insert.bind(6, result.hash ?? "")
                    insert.bind(7, stored.contentHash)
                    try insert.run()
                    counts["images", default: 0] += 1
                    counts["bytes_stored", default: 0] += stored.pixels.count
                }
            }
            progress.advance(by: chunk.count)
        }
        var result = StageResult(records: items.count, counts: counts, unit: "images", bytes: bytesRead)
        result.meta = ["size": String(settings.size), "encoding": settings.encoding.rawValue, StageOutput.reuseKeyName: reuseKey]
            .merging(clock.meta) { $1 }
        return result
    }

    /// A chunk's files: each one's hash comes from the previous run's stamps when the file is
    /// unchanged (not read at all) or from its bytes; a file whose bytes the previous output
    /// already normalised under the same settings is copied from there, the rest decoded. The
    /// look-ups go to the previous output once per chunk; files are read and decoded in parallel,
    /// one per worker at a time, so memory holds a few files, not the chunk.
    func process(_ chunk: [CatalogReader.ItemImage], settings: Settings, previous: DatabaseQueue?, threads: Int,
                 clock: inout ComputeClock) throws -> [Processed] {
        var results = [Processed?](repeating: nil, count: chunk.count)
        var open = Array(chunk.indices)
        if let previous {
            // Files unchanged since the last run: their hash from the stamp, their row from there.
            let stamps = try ParallelMap.map(chunk, threads: threads) { FileStamp(path: $0.path) }
            let known = try Self.knownHashes(previous, paths: chunk.map(\.path))
            let hashes = stamps.map { $0.flatMap { known[$0] } }
            let rows = try Self.storedImages(previous, sourceHashes: hashes.compactMap { $0 })
            open = chunk.indices.filter { index in
                guard let hash = hashes[index], let image = rows[hash] else { return true }
                results[index] = Processed(outcome: .reused(image), hash: hash, stamp: stamps[index])
                return false
            }
            // Changed, moved or new files: hashed from their bytes, and copied when the bytes are known.
            let read = try ParallelMap.map(open, threads: threads) { index -> (hash: String?, stamp: FileStamp?, bytes: Int, error: ImageError?) in
                let stamp = FileStamp(path: chunk[index].path)
                let (bytes, error) = ImageFile.read(chunk[index].path)
                guard let bytes else { return (nil, nil, 0, error) }
                return (bytes.withUnsafeBytes { FileContentHasher.hash($0) }, stamp, bytes.count, nil)
            }
            let moved = try Self.storedImages(previous, sourceHashes: read.compactMap(\.hash))
            open = zip(open, read).compactMap { index, file in
                if let error = file.error {
                    results[index] = Processed(outcome: .reject(error), hash: nil, stamp: nil)
                    return nil
                }
                guard let hash = file.hash, let image = moved[hash] else { return index }
                results[index] = Processed(outcome: .reused(image), hash: hash, stamp: file.stamp, bytesRead: file.bytes)
                return nil
            }
        }
        let normalizer = settings.normalizer
        let decoded = try clock.time { try ParallelMap.map(open, threads: threads) { index -> Processed in
            let stamp = FileStamp(path: chunk[index].path)
            let (read, error) = ImageFile.read(chunk[index].path)
            guard let bytes = read else { return Processed(outcome: .reject(error!), hash: nil, stamp: nil) }
            let hash = bytes.withUnsafeBytes { FileContentHasher.hash($0) }
            do throws(ImageError) {
                var pixels = try normalizer.normalize(bytes)
                if settings.encoding == .jpeg {
                    pixels = try JPEGEncoder.encode(pixels, width: settings.size, height: settings.size, quality: settings.jpegQuality)
                }
                return Processed(outcome: .pixels(pixels), hash: hash, stamp: stamp, bytesRead: bytes.count)
            } catch {
                return Processed(outcome: .reject(error), hash: hash, stamp: stamp, bytesRead: bytes.count)
            }
        } }
        for (index, result) in zip(open, decoded) {
            results[index] = result
        }
        return results.map { $0! }   // every index was reused, rejected or decoded above
    }

    /// The previous run's file hashes of `paths`, by the stamp each file had then.
    static func knownHashes(_ previous: DatabaseQueue, paths: [String]) throws -> [FileStamp: String] {
        try previous.readStored("cache_file_hashes") { db in
            let lookup = try db.makeStatement(sql: "SELECT size, modified, inode, hash FROM cache_file_hashes WHERE path = ?")
            var known: [FileStamp: String] = [:]
            for path in Set(paths) {
                guard let row = try Row.fetchOne(lookup, arguments: [path]) else { continue }
                let stamp = FileStamp(path: path, size: try row.stored("size"), modified: try row.stored("modified"),
                                      inode: UInt64(bitPattern: try row.stored("inode", as: Int64.self)))
                known[stamp] = try row.stored("hash")
            }
            return known
        }
    }

    /// The previous output's rows made from files with these bytes, by source hash.
    static func storedImages(_ previous: DatabaseQueue, sourceHashes: [String]) throws -> [String: StoredImage] {
        guard !sourceHashes.isEmpty else { return [:] }
        return try previous.readStored("images") { db in
            let lookup = try db.makeStatement(sql: "SELECT width, height, encoding, pixels FROM images WHERE source_hash = ? LIMIT 1")
            var found: [String: StoredImage] = [:]
            for hash in sourceHashes where found[hash] == nil {
                guard let row = try Row.fetchOne(lookup, arguments: [hash]), let image = try ImagesReader.storedImage(row) else { continue }
                found[hash] = image
            }
            return found
        }
    }
}
