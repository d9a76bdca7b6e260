import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Stage fetch: the photo of every item that has an image URL and no image file, downloaded into
/// a content-addressed store and listed in `work/fetch.sqlite` (`StageOutputFile.fetch`); each
/// failure is a reject with its reason. Results go to a journal as they come (`FetchJournal`), so
/// a killed run resumes where it stopped, and a rerun asks only for URLs that have no result yet
/// (and, with `retry_failed`, those whose failure can heal).
public struct FetchStage: Stage {
    public typealias Settings = FetchSettings

    public static let name = StageOutputFile.fetch.stage
    public static let outputFileName = StageOutputFile.fetch.fileName
    static let chunkItems = 4096
    /// Results are committed to the journal at least this often (and every `commitRecords`).
    static let commitSeconds = 0.25
    static let commitRecords = 512

    public init() {}

    public func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] {
        try settings.validate()
        return [StageOutputFile.catalog.input]
    }

    /// `loom run` reruns a fetch whose catalog is unchanged when its store is gone, or, with
    /// `retry_failed`, while earlier runs left failures that can heal.
    public func missingProducts(_ settings: Settings, context: StageContext) -> [String] {
        let root = FetchStage.absolute(settings.storeDirectory(work: context.workDirectory))
        guard FileManager.default.fileExists(atPath: root) else { return ["the photo store \(root)"] }
        let journal = context.workPath(FetchJournal.fileName)
        guard settings.retryFailed, FileManager.default.fileExists(atPath: journal) else { return [] }
        let healable = (try? FetchJournal.countHealableFailures(path: journal)) ?? 0
        return healable > 0 ? ["a retry (retry_failed) of \(healable) fetches whose failure can heal"] : []
    }

    public func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        try settings.validate()
        if settings.contact.isEmpty {
            context.logger.warning("fetch: no contact set: the User-Agent gives site operators no way to reach you (--contact, contact:)")
        }
        guard context.shard.isWhole else {
            throw LoomError.usage("stage fetch runs whole (one machine keeps \(settings.concurrency) requests in flight); drop --shard", key: "--shard")
        }
        let catalog = try StageOutputReader.open(path: context.workPath(.catalog))
        defer { try? catalog.close() }
        let root = FetchStage.absolute(settings.storeDirectory(work: context.workDirectory))
        do {
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        } catch {
            throw LoomError.cannotCreateOutput(path: root, reason: "creating the photo store: \(error.localizedDescription)")
        }
        let store = PhotoStore(root: root)
        let journal = try FetchJournal(path: context.workPath(FetchJournal.fileName))
        defer { try? journal.close() }
        try journal.beginRun()

        var clock = ComputeClock()
        let fetched = try clock.time { try fetchMissing(catalog: catalog, journal: journal, store: store, settings: settings, context: context) }
        try output.write { db in try db.execute(sql: StageOutputFile.fetch.schema) }
        var counts = try writeRows(catalog: catalog, journal: journal, store: store, output: output)
        counts["requested"] = fetched.requested
        counts["downloaded_bytes"] = fetched.bytes
        var result = StageResult(records: counts["items_with_url", default: 0], counts: counts, unit: "items", bytes: fetched.bytes)
        result.work = StageWork(count: fetched.requested, unit: "URLs fetched", seconds: clock.seconds)
        result.meta = ["images_dir": root, "user_agent": settings.userAgent]
        return result
    }

    /// Pass one: every URL that needs a request, fetched, its result committed to the journal in
    /// batches. Returns the URLs requested and the photo bytes downloaded.
    private func fetchMissing(catalog: DatabaseQueue, journal: FetchJournal, store: PhotoStore, settings: Settings,
                              context: StageContext) throws -> (requested: Int, bytes: Int) {
        let fetcher = PhotoFetcher(settings: settings, store: store, threads: context.threads)
        defer { fetcher.shutdown() }
        let progress = context.progress("fetch", total: nil)
        defer { progress.finish() }
        // URLs asked for in this run whose results are not committed yet: neither asked for twice
        // nor taken for done before their results are in the journal.
        var pending = Set<String>()
        var uncommitted: [FetchRecord] = []
        var lastCommit = Date()
        var requested = 0
        var failed = 0
        var queue: [PhotoURL] = []
        var queueIndex = 0
        var after = Int64.min
        var catalogDone = false

        func commit() throws {
            try journal.record(uncommitted)
            for record in uncommitted { pending.remove(record.url) }
            uncommitted.removeAll(keepingCapacity: true)
            lastCommit = Date()
        }

        /// The next chunk of the catalog's URLs that need a request.
        func refill() throws {
            queue.removeAll(keepingCapacity: true)
            queueIndex = 0
            while queue.isEmpty && !catalogDone {
                let items = try CatalogReader.photoURLs(catalog, after: after, limit: FetchStage.chunkItems)
                guard let last = items.last else {
                    catalogDone = true
                    return
                }
                after = last.id
                var seen = Set<String>()
                let urls = items.compactMap { try? PhotoURL.parse($0.url).get() }.filter { seen.insert($0.string).inserted && !pending.contains($0.string) }
                for (url, record) in zip(urls, try journal.lookup(urls.map(\.string))) where needsRequest(record, journal: journal, store: store, settings: settings) {
                    queue.append(url)
                    pending.insert(url.string)
                }
            }
        }

        do {
            try fetcher.run(next: {
                if queueIndex == queue.count { try refill() }
                guard queueIndex < queue.count else { return nil }
                queueIndex += 1
                return queue[queueIndex - 1]
            }, deliver: { records in
                uncommitted += records
                requested += records.count
                failed += records.count { $0.failure != nil }
                if !records.isEmpty { progress.advance(by: records.count, note: failed > 0 ? "\(failed) failed" : "") }
                if uncommitted.count >= FetchStage.commitRecords
                    || (!uncommitted.isEmpty && Date().timeIntervalSince(lastCommit) >= FetchStage.commitSeconds) {
                    try commit()
                }
            })
        } catch {
            // What finished before the error is kept for the next run.
            try? commit()
            throw error
        }
        try commit()
        return (requested, fetcher.bytesDownloaded)
    }

    /// Whether a URL with this journal record is asked for again: no record; a photo no longer in
    /// the store; with `retry_failed`, a failure that can heal, once per run.
    private func needsRequest(_ record: FetchRecord?, journal: FetchJournal, store: PhotoStore, settings: Settings) -> Bool {
        guard let record else { return true }
        switch record.result {
        case .success(let photo):
            return !store.contains(store.path(contentHash: photo.contentHash, format: photo.format), bytes: photo.bytes)
        case .failure(let failure):
            return settings.retryFailed && failure.reason.canHeal && record.run != journal.run
        }
    }

    /// Pass two: the output's rows, one per item with a URL and no file, in id order, from the
    /// journal; each failure a reject. Returns the counts.
    private func writeRows(catalog: DatabaseQueue, journal: FetchJournal, store: PhotoStore, output: StageOutput) throws -> [String: Int] {
        var counts = ["items_with_url": 0, "fetched": 0, "failed": 0, "from_earlier_runs": 0]
        var after = Int64.min
        while true {
            let items = try CatalogReader.photoURLs(catalog, after: after, limit: FetchStage.chunkItems)
            guard let last = items.last else { break }
            after = last.id
            let parsed = items.map { PhotoURL.parse($0.url) }
            let records = try journal.lookup(parsed.map { (try? $0.get())?.string ?? "" })
            try output.write { db in
                let insert = try BoundStatement(db, sql: """
                    INSERT INTO fetches (item, url, status, http_status, bytes, sha256, path, error, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for (index, item) in items.enumerated() {
                    counts["items_with_url", default: 0] += 1
                    let record: FetchRecord
                    switch parsed[index] {
                    case .failure(let failure):
                        record = FetchRecord(url: item.url, httpStatus: nil, result: .failure(failure), attempts: 0)
                    case .success(let url):
                        guard let found = records[index] else {
                            throw LoomError.internalError("no fetch result recorded for \(url.string) (item \(item.asin))")
                        }
                        record = found
                        if found.run != journal.run { counts["from_earlier_runs", default: 0] += 1 }
                    }
                    insert.bind(1, item.id)
                    insert.bind(2, item.url)
                    insert.bind(3, record.status)
                    insert.bind(4, record.httpStatus.map { Int64($0) })
                    insert.bind(5, record.photo.map { Int64($0.bytes) })
                    insert.bind(6, record.photo?.contentHash)
                    insert.bind(7, record.photo.map { store.path(contentHash: $0.contentHash, format: $0.format) })
                    insert.bind(8, record.failure?.reason.rawValue)
                    insert.bind(9, Int64(record.attempts))
                    if let failure = record.failure {
                        counts["failed", default: 0] += 1
                        output.rejects.record(source: item.asin, position: item.url, reason: failure.reason.rejectReason, detail: failure.detail)
                    } else {
                        counts["fetched", default: 0] += 1
                    }
                    try insert.run()
                }
            }
        }
        counts["photos_stored"] = try output.write { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT sha256) FROM fetches WHERE status = 'ok'") ?? 0
        }
        return counts
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
    }
}
