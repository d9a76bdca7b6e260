import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomImaging

/// Stage images: every item's image file (its own, or the photo stage fetch downloaded from its
/// URL) → normalised RGB8 (raw or JPEG) in `work/images.sqlite`; each file that cannot be used is
/// a reject with its reason, and the run goes on.
public struct ImagesStage: Stage {
    public typealias Settings = ImagesSettings

    public static let name = StageOutputFile.images.stage
    public static let outputFileName = StageOutputFile.images.fileName
    /// Items' rows by id, stored images and file stamps as sets (shards may share a photo).
    public static let shardMerge: ShardMerge? = ShardMerge(summary: storedSummary)
    static let catalog = StageOutputFile.catalog.input
    static let chunkItems = 256
    /// The version of what this stage computes from an image file (decode, orient, resize,
    /// crop, encode), and of the tables it keeps them in; rows are reused under the same
    /// version, not the same Loom version.
    public static let algorithm = "images/1 layout 2"

    public init() {}

    /// The catalog, and each folder holding an image it names (fingerprinted: a replaced file
    /// reruns the stage even when the catalog is unchanged).
    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        let path = context.workPath(.catalog)
        guard FileManager.default.fileExists(atPath: path) else { return [ImagesStage.catalog] }
        let folders = try CatalogReader.imageFolders(try StageOutputReader.open(path: path))
        // Photos fetched from the items' URLs (stage fetch), when the work directory has them.
        let fetch = FileManager.default.fileExists(atPath: context.workPath(.fetch)) ? [StageOutputFile.fetch.input] : []
        return [ImagesStage.catalog] + fetch + folders.filter { FileManager.default.fileExists(atPath: $0) }
            .map { .directory(label: "images", path: $0) }
    }

    /// What becomes of one item's image file.
    enum Outcome: Sendable {
        /// Decoded and normalised here.
        case pixels([UInt8])
        /// The previous output made a stored image from the same file bytes: the one with this hash.
        case reused(pixelsHash: String)
        case reject(ImageError)
    }

    /// One item's outcome, with the file's hash and stamp when they are known (for the row and
    /// for the next run's cache), whether that stamp was already in the cache, and the bytes read.
    struct Processed: Sendable {
        var outcome: Outcome
        var hash: String?
        var stamp: FileStamp?
        var stampKnown = false
        var bytesRead = 0
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        defer { try? catalog.close() }
        let fetched = try FetchReader.fetchedPhotos(fetchPath: context.workPath(.fetch), catalogPath: context.workPath(.catalog))
        let items = try CatalogReader.itemImages(catalog, fetched: fetched).filter { context.shard.contains(key: $0.asin) }
        let withoutImage = try CatalogReader.countWithoutImage(catalog, shard: context.shard) - items.count { fetched[$0.id] != nil }
        let reuseKey = try settings.reuseKey()
        // A rerun updates the previous output in place: its stored images stay where they are;
        // the items' rows are written again (ids follow today's catalog), and what each file's
        // bytes were made into is kept aside for the look-ups. Last night's count and bytes of
        // stored images are kept up to date by what is added and dropped (counting them again
        // reads every stored image's page).
        let previousStored = try? StageMeta.read(path: output.previousPath).counts
        let adopted = try output.updatePreviousInPlace(reuseKey: reuseKey, schema: StageOutputFile.images.schema)
        try output.write { db in
            try db.execute(sql: adopted ? """
                CREATE TEMP TABLE previous_sources (source_hash TEXT PRIMARY KEY, pixels_hash TEXT NOT NULL) WITHOUT ROWID;
                INSERT OR IGNORE INTO previous_sources SELECT source_hash, pixels_hash FROM images;
                DELETE FROM images;
                """ : StageOutputFile.images.schema)
        }
        let progress = context.progress("images", total: items.count)
        defer { progress.finish() }
        var counts = ["images": 0, "items_without_image": withoutImage, "reused": 0, "computed": 0, "files_read": 0]
        var added = (images: 0, bytes: 0)
        var bytesRead = 0
        var clock = ComputeClock()
        for start in stride(from: 0, to: items.count, by: ImagesStage.chunkItems) {
            let chunk = Array(items[start..<min(start + ImagesStage.chunkItems, items.count)])
            let processed = try process(chunk, settings: settings, output: adopted ? output : nil, threads: context.threads, clock: &clock)
            try output.write { db in
                let insert = try BoundStatement(db, sql: "INSERT INTO images (id, source_hash, pixels_hash) VALUES (?, ?, ?)")
                let store = try BoundStatement(db, sql: """
                    INSERT OR IGNORE INTO pixels (content_hash, width, height, encoding, pixels) VALUES (?, ?, ?, ?, ?)
                    """)
                let remember = try BoundStatement(db, sql: """
                    INSERT OR REPLACE INTO cache_file_hashes (path, size, modified, inode, hash) VALUES (?, ?, ?, ?, ?)
                    """)
                for (item, result) in zip(chunk, processed) {
                    bytesRead += result.bytesRead
                    counts["files_read", default: 0] += result.bytesRead > 0 ? 1 : 0
                    if let stamp = result.stamp, let hash = result.hash, !result.stampKnown {
                        remember.bind(1, stamp.path)
                        remember.bind(2, stamp.size)
                        remember.bind(3, stamp.modified)
                        remember.bind(4, Int64(bitPattern: stamp.inode))
                        remember.bind(5, hash)
                        try remember.run()
                    }
                    let pixelsHash: String
                    switch result.outcome {
                    case .pixels(let pixels):
                        let stored = StoredImage(width: settings.size, height: settings.size, encoding: settings.encoding, pixels: Data(pixels))
                        pixelsHash = stored.contentHash
                        store.bind(1, pixelsHash)
                        store.bind(2, Int64(stored.width))
                        store.bind(3, Int64(stored.height))
                        store.bind(4, stored.encoding.rawValue)
                        store.bind(5, stored.pixels)
                        try store.run()
                        if db.changesCount == 1 { added = (added.images + 1, added.bytes + stored.pixels.count) }
                        counts["computed", default: 0] += 1
                    case .reused(let hash):
                        pixelsHash = hash
                        counts["reused", default: 0] += 1
                    case .reject(let error):
                        output.rejects.record(source: item.asin, position: item.path, reason: error.rejectReason, detail: error.message)
                        continue
                    }
                    insert.bind(1, item.id)
                    insert.bind(2, result.hash ?? "")
                    insert.bind(3, pixelsHash)
                    try insert.run()
                    counts["images", default: 0] += 1
                }
            }
            progress.advance(by: chunk.count)
        }
        try output.write { db in
            // Stored images no item has any longer, and the stamps of files whose bytes no item
            // uses: gone from a rerun's output as they would be absent from a fresh run. The
            // stored images there were are the ones last night's items had.
            if adopted, let images = previousStored?["stored_images"], let bytes = previousStored?["bytes_stored"] {
                let dropped = "SELECT pixels_hash FROM previous_sources EXCEPT SELECT pixels_hash FROM images"
                let gone = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(length(pixels)), 0) AS bytes FROM pixels WHERE content_hash IN (\(dropped))")
                try db.execute(sql: "DELETE FROM pixels WHERE content_hash IN (\(dropped))")
                counts["stored_images"] = images - (gone?["n"] ?? 0) + added.images
                counts["bytes_stored"] = bytes - (gone?["bytes"] ?? 0) + added.bytes
            } else {
                try db.execute(sql: "DELETE FROM pixels WHERE content_hash IN (SELECT content_hash FROM pixels EXCEPT SELECT pixels_hash FROM images)")
                counts.merge(try Self.storedSummary(db).counts) { $1 }
            }
            try db.execute(sql: "DELETE FROM cache_file_hashes WHERE hash NOT IN (SELECT source_hash FROM images)")
        }
        var result = StageResult(records: items.count, counts: counts, unit: "images", bytes: bytesRead)
        result.meta = ["size": String(settings.size), "encoding": settings.encoding.rawValue, StageOutput.reuseKeyName: reuseKey]
            .merging(clock.meta) { $1 }
        return result
    }

    /// The distinct stored images and their bytes: of the whole output, not a sum over shards.
    @Sendable static func storedSummary(_ db: Database) throws -> OutputSummary {
        let stored = try Row.fetchOne(db, sql: "SELECT COUNT(*) AS n, COALESCE(SUM(length(pixels)), 0) AS bytes FROM pixels")
        return OutputSummary(counts: ["stored_images": stored?["n"] ?? 0, "bytes_stored": stored?["bytes"] ?? 0])
    }

    /// A chunk's files: each one's hash comes from the previous run's stamps when the file is
    /// unchanged (not read at all) or from its bytes; a file whose bytes the previous output
    /// already normalised under the same settings keeps that stored image, the rest are decoded.
    /// `output` is the previous output being updated (nil on a first run); the look-ups go to it
    /// once per chunk. Files are read and decoded in parallel, one per worker at a time, so
    /// memory holds a few files, not the chunk.
    func process(_ chunk: [CatalogReader.ItemImage], settings: Settings, output: StageOutput?, threads: Int,
                 clock: inout ComputeClock) throws -> [Processed] {
        var results = [Processed?](repeating: nil, count: chunk.count)
        var open = Array(chunk.indices)
        if let output {
            // Files unchanged since the last run: their hash from the stamp, their image from there.
            let stamps = try ParallelMap.map(chunk, threads: threads) { FileStamp(path: $0.path) }
            let (hashes, made) = try output.write { db in
                let known = try Self.knownHashes(db, stamps: stamps)
                return (known, try Self.pixelHashes(db, sourceHashes: known.compactMap { $0 }))
            }
            open = chunk.indices.filter { index in
                guard let hash = hashes[index], let pixelsHash = made[hash] else { return true }
                results[index] = Processed(outcome: .reused(pixelsHash: pixelsHash), hash: hash, stamp: stamps[index], stampKnown: true)
                return false
            }
            // Changed, moved or new files: hashed from their bytes, and kept when the bytes are known.
            let read = try ParallelMap.map(open, threads: threads) { index -> (hash: String?, stamp: FileStamp?, bytes: Int, error: ImageError?) in
                let stamp = FileStamp(path: chunk[index].path)
                let (bytes, error) = ImageFile.read(chunk[index].path)
                guard let bytes else { return (nil, nil, 0, error) }
                return (bytes.withUnsafeBytes { FileContentHasher.hash($0) }, stamp, bytes.count, nil)
            }
            let moved = try output.write { db in try Self.pixelHashes(db, sourceHashes: read.compactMap(\.hash)) }
            open = zip(open, read).compactMap { index, file in
                if let error = file.error {
                    results[index] = Processed(outcome: .reject(error), hash: nil, stamp: nil)
                    return nil
                }
                guard let hash = file.hash, let pixelsHash = moved[hash] else { return index }
                results[index] = Processed(outcome: .reused(pixelsHash: pixelsHash), hash: hash, stamp: file.stamp, bytesRead: file.bytes)
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

    /// The previous run's hash of each file whose stamp is the one it had then (nil for the others).
    static func knownHashes(_ db: Database, stamps: [FileStamp?]) throws -> [String?] {
        let lookup = try BoundStatement(db, sql: "SELECT size, modified, inode, hash FROM cache_file_hashes WHERE path = ?")
        return try stamps.map { stamp in
            guard let stamp else { return nil }
            lookup.bind(1, stamp.path)
            return try lookup.firstRow { row in
                let then = FileStamp(path: stamp.path, size: row.integer(0), modified: row.integer(1), inode: UInt64(bitPattern: row.integer(2)))
                return then == stamp ? String(decoding: row.textBytes(3), as: UTF8.self) : nil
            } ?? nil
        }
    }

    /// The stored image the previous output made from files with these bytes, by source hash.
    static func pixelHashes(_ db: Database, sourceHashes: [String]) throws -> [String: String] {
        guard !sourceHashes.isEmpty else { return [:] }
        let lookup = try BoundStatement(db, sql: "SELECT pixels_hash FROM previous_sources WHERE source_hash = ?")
        var found: [String: String] = [:]
        for hash in sourceHashes where found[hash] == nil {
            lookup.bind(1, hash)
            if let pixelsHash = try lookup.firstRow({ String(decoding: $0.textBytes(0), as: UTF8.self) }) { found[hash] = pixelsHash }
        }
        return found
    }
}
