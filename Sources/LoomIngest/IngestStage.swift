import Foundation
import GRDB
import LoomCore

/// Stage ingest: reads Amazon catalog dumps (2014 loose, 2018 strict, 2023 lines; plain, gzip or
/// JSON array) into `work/catalog.sqlite`: items, edges, rejects.
public struct IngestStage: Stage {
    public typealias Settings = IngestSettings

    public static let name = "ingest"
    public static let outputFileName = "catalog.sqlite"

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
        var records = 0
        var blank = 0
        var bytes = 0
        let writer = try output.database.write { db in try CatalogWriter(db) }
        for path in settings.catalog {
            let reader = try RecordReader(path: path)
            var reported = 0
            while true {
                // One round: up to `threads` batches read in order, parsed in parallel, written in order.
                var batches: [[SourceRecord]] = []
                for _ in 0..<context.threads {
                    var batch: [SourceRecord] = []
                    var size = 0
                    while batch.count < batchRecords, size < IngestStage.batchBytes, let record = try reader.next() {
                        size += record.bytes.count
                        batch.append(record)
                    }
                    if batch.isEmpty { break }
                    batches.append(batch)
                }
                if batches.isEmpty { break }
                let parsed = try ParallelMap.map(batches, threads: context.threads) { batch in
                    batch.map { IngestStage.parse($0, extractor: extractor) }
                }
                try output.database.write { _ in
                    for (batch, results) in zip(batches, parsed) {
                        for (record, result) in zip(batch, results) {
                            records += 1
                            try IngestStage.store(result, record: record, path: path, writer: writer,
                                                  output: output, shard: context.shard, blank: &blank)
                        }
                    }
                }
                let megabytes = reader.bytesRead >> 20
                progress.advance(by: megabytes - reported)
                reported = megabytes
            }
            bytes += reader.bytesRead
        }
        var counts = try output.database.write { _ in try writer.finish() }
        counts["blank_lines"] = blank
        counts["duplicate_lines"] = writer.duplicates
        context.logger.info("ingest read \(records) records, \(bytes) bytes from \(settings.catalog.count) file(s)")
        return StageResult(records: records - blank, counts: counts, unit: "records", bytes: bytes)
    }

    enum Parsed {
        case item(CatalogItem)
        case reject(RecordParseError)
        case blank
    }

    /// Parses one record (runs on worker threads; touches nothing shared).
    static func parse(_ record: SourceRecord, extractor: RecordExtractor) -> Parsed {
        record.bytes.withUnsafeBufferPointer { bytes in
            var first = 0
            while first < bytes.count, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x0D || bytes[first] == 0x0A {
                first += 1
            }
            guard first < bytes.count else { return .blank }
            do throws(RecordParseError) {
                let pairs: [(String, CatalogValue)]
                if isPythonLiteral(bytes, from: first) {
                    pairs = try PythonLiteralParser.parseObject(bytes)
                } else {
                    pairs = try JSONRecordParser.parseObject(bytes, wanted: RecordExtractor.wantedKeys)
                }
                return .item(try extractor.item(from: pairs))
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

    private static func store(_ result: Parsed, record: SourceRecord, path: String, writer: CatalogWriter,
                              output: StageOutput, shard: Shard, blank: inout Int) throws {
        switch result {
        case .blank:
            blank += 1
        case .reject(let error):
            // A record without an asin belongs to the shard its position hashes to.
            if shard.contains(key: "\(path):\(record.line):\(record.element ?? 0)") {
                output.rejects.record(source: path, position: record.position, reason: error.reason, detail: error.detail)
            }
        case .item(let item):
            let inShard = shard.contains(key: item.asin)
            if try writer.add(item, source: path, line: record.line, inShard: inShard) == .duplicate {
                output.rejects.record(source: path, position: record.position, reason: IngestRejects.duplicateAsin,
                                      detail: "asin \(item.asin) seen earlier; this line only filled missing fields")
            }
        }
    }
}
