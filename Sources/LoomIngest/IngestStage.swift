import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Stage ingest: reads Amazon catalog dumps (2014 loose, 2018 strict, 2023 lines; plain, gzip or
/// JSON array) into `work/catalog.sqlite`: items, edges, rejects.
public struct IngestStage: Stage {
    public typealias Settings = IngestSettings

    public static let name = StageOutputFile.catalog.stage
    public static let outputFileName = StageOutputFile.catalog.fileName
    /// Items by id; edges appended (a set of rows, by the content hash).
    public static let shardMerge: ShardMerge? = ShardMerge()
    /// Records parsed together by one worker thread: bounded, so memory stays flat.
    let batchRecords: Int
    static let batchBytes = 8 << 20

    /// `batchRecords` only changes how work is split, never the output (tests use small batches).
    public init(batchRecords: Int = 2048) {
        self.batchRecords = max(1, batchRecords)
    }

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return settings.catalog.map { .file(label: "catalog", path: $0) }
            + settings.images.map { .directory(label: "images", path: $0) }
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        let extractor = RecordExtractor(
            types: CoarseTypeRules(rules: settings.types ?? CoarseTypeRule.defaults,
                                   ignoredCategories: settings.ignoredCategories ?? CoarseTypeRule.defaultIgnoredCategories),
            images: try ImageResolver(folders: settings.images))
        let totalBytes = settings.catalog.reduce(0) { total, path in
            total + ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        }
        let progress = context.progress("ingest MB", total: totalBytes >> 20)
        defer { progress.finish() }

        try output.database.write { db in try CatalogWriter.createSchema(db) }
        let writer = try output.database.write { db in try CatalogWriter(db, wholeCatalog: context.shard.isWhole) }
        var tally = Tally()
        for path in settings.catalog {
            // Under `loom run` the freshness check has hashed the file already.
            let known = context.inputHashes.knownHash(of: path)
            let reader = try RecordReader(path: path, hashing: known == nil)
            var reported = 0
            // The file is stored in one transaction, not one per 2 MB round: a commit cost about
            // 0.1 ms, 4 % of ingest's time. (The output has no journal; on an error it is discarded.)
            try output.database.writeWithoutTransaction { db in
                try db.inTransaction {
                    let store = { (round: [ParsedBatch]) throws in
                        for parsed in round {
                            for (span, result) in zip(parsed.batch.spans, parsed.results) {
                                try IngestStage.store(result, position: span, path: path, writer: writer, output: output,
                                                      shard: context.shard, tally: &tally)
                            }
                        }
                        let megabytes = reader.bytesRead >> 20
                        progress.advance(by: megabytes - reported)
                        reported = megabytes
                    }
                    try pipeline(reader: reader, extractor: extractor, threads: context.threads, store: store)
                    return .commit
                }
            }
            tally.bytes += reader.bytesRead
            // Each catalog is hashed by the thread that reads it ahead of the parser (`ReadAheadFile`);
            // the runner finds that hash for `meta` instead of reading the file again.
            if known == nil, let hash = try reader.contentHash() { context.inputHashes.record(hash, of: path) }
        }
        var counts = try output.database.write { _ in try writer.finish() }
        counts["blank_lines"] = tally.blank
        counts["duplicate_lines"] = writer.duplicates
        counts["lines_with_raw_control_characters"] = tally.rawControl
        context.logger.debug("ingest read \(tally.records) records, \(tally.bytes) bytes from \(settings.catalog.count) file(s)")
        return StageResult(records: tally.records - tally.blank, counts: counts, unit: "records", bytes: tally.bytes)
    }

    struct Tally {
        var records = 0
        var blank = 0
        var bytes = 0
        /// Lines kept although a string held raw control characters.
        var rawControl = 0
    }

    struct ParsedBatch: Sendable {
        var batch: RecordBatch
        var results: [Parsed]
    }

    /// Reads rounds of batches, parses each round on worker threads and stores rounds in order.
    /// With two or more threads, the calling thread reads and stores while `threads` workers
    /// parse the next round, so reading, parsing and SQLite overlap; with one, it does all three
    /// in turn. (The calling thread waits for the parsers half the time: `threads - 1` workers
    /// left a core idle then, 10 % of ingest on two cores.) The results never depend on it.
    private func pipeline(reader: RecordReader, extractor: RecordExtractor, threads: Int,
                          store: ([ParsedBatch]) throws -> Void) throws {
        let workers = threads >= 2 ? threads : 1
        func readRound() throws -> [RecordBatch] {
            var round: [RecordBatch] = []
            while round.count < workers, let batch = try reader.nextBatch(maxRecords: batchRecords, maxBytes: IngestStage.batchBytes) {
                round.append(batch)
            }
            return round
        }
        @Sendable func parse(_ round: [RecordBatch]) throws -> [ParsedBatch] {
            try ParallelMap.map(round, threads: workers) { batch in
                ParsedBatch(batch: batch, results: IngestStage.parse(batch, extractor: extractor))
            }
        }
        guard threads >= 2 else {
            while case let round = try readRound(), !round.isEmpty { try store(try parse(round)) }
            return
        }
        // Round k+1 is parsed while round k is stored and round k+2 read.
        let first = try readRound()
        guard !first.isEmpty else { return }
        var parsing = BackgroundTask { try parse(first) }
        while true {
            let next = try readRound()
            let parsed = try parsing.wait()
            if !next.isEmpty { parsing = BackgroundTask { try parse(next) } }
            try store(parsed)
            if next.isEmpty { return }
        }
    }

    enum Parsed {
        /// `rawControl`: a string of the line held a raw control character (the JSON leniency).
        case item(CatalogItem, rawControl: Bool)
        case reject(RecordParseError)
        case blank
    }

    /// Parses every record of a batch (runs on a worker thread; touches nothing shared).
    static func parse(_ batch: RecordBatch, extractor: RecordExtractor) -> [Parsed] {
        batch.bytes.withUnsafeBufferPointer { buffer in
            batch.spans.map { span in parse(UnsafeBufferPointer(rebasing: buffer[span.start..<span.end]), extractor: extractor) }
        }
    }

    /// Parses one record.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, extractor: RecordExtractor) -> Parsed {
        do {
            var first = 0
            while first < bytes.count, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x0D || bytes[first] == 0x0A {
                first += 1
            }
            guard first < bytes.count else { return .blank }
            do throws(RecordParseError) {
                let pairs: [(String, CatalogValue)]
                var rawControl = false
                if isPythonLiteral(bytes, from: first) {
                    pairs = try PythonLiteralParser.parseObject(bytes)
                } else {
                    pairs = try JSONRecordParser.parseObject(bytes, wanted: RecordExtractor.wantedKeys, rawControl: &rawControl)
                }
                return .item(try extractor.item(from: pairs), rawControl: rawControl)
            } catch {
                return .reject(error)
            }
        }
    }

    /// 2014 lines open with `{'` (or `{u'`); JSON objects with `{"`.
    static func isPythonLiteral(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        guard bytes[start] == UInt8(ascii: "{") else { return false }
        var index = start + 1
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
        guard index < bytes.count else { return false }
        if bytes[index] == UInt8(ascii: "'") { return true }
        if bytes[index] == UInt8(ascii: "u") || bytes[index] == UInt8(ascii: "b"), index + 1 < bytes.count {
            return bytes[index + 1] == UInt8(ascii: "'") || bytes[index + 1] == UInt8(ascii: "\"")
        }
        return false
    }

    private static func store(_ result: Parsed, position: RecordBatch.Span, path: String, writer: CatalogWriter,
                              output: StageOutput, shard: Shard, tally: inout Tally) throws {
        // Each line is counted by one shard, so shards' counts add up to the whole run's: an item's
        // by its asin, a line without one (blank or rejected) by its position.
        let ownsPosition = { shard.contains(key: "\(path):\(position.line):\(position.element ?? 0)") }
        switch result {
        case .blank:
            guard ownsPosition() else { return }
            tally.records += 1
            tally.blank += 1
        case .reject(let error):
            guard ownsPosition() else { return }
            tally.records += 1
            output.rejects.record(source: path, position: position.position, reason: error.reason, detail: error.detail)
        case .item(let item, let rawControl):
            let inShard = shard.contains(key: item.asin)
            if inShard {
                tally.records += 1
                if rawControl { tally.rawControl += 1 }
            }
            if try writer.add(item, source: path, line: position.line, inShard: inShard) == .duplicate {
                output.rejects.record(source: path, position: position.position, reason: IngestRejects.duplicateAsin,
                                      detail: "asin \(item.asin) seen earlier; this line only filled missing fields")
            }
        }
    }
}
