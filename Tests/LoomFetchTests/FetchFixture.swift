import Foundation
import GRDB
import LoomCore
import LoomIngest
import LoomPhotoServer
import LoomTestSupport
@testable import LoomFetch

/// A work directory whose catalog names photo URLs, and what the fetch tests read back.
struct FetchFixture {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    static func photo(_ name: String) -> [UInt8] {
        Array(FileManager.default.contents(atPath: resources.appendingPathComponent(name).path)!)
    }

    let work = TemporaryDirectory("loom-fetch")

    /// Ingests a catalog of dresses whose photo URLs are `urls` (item `B0FETCH0001` has the first).
    func ingest(_ urls: [String]) throws {
        let lines = urls.enumerated().map { index, url in
            let record: [String: Any] = [
                "asin": FetchFixture.asin(index), "title": "Fetched Dress \(index)",
                "category": ["Clothing, Shoes & Jewelry", "Women", "Clothing", "Dresses"], "imageURLHighRes": [url],
            ]
            return String(decoding: try! JSONSerialization.data(withJSONObject: record, options: .sortedKeys), as: UTF8.self)
        }
        let catalog = work.file("catalog.jsonl")
        try (lines.joined(separator: "\n") + "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        try StageRunner(context: context()).run(IngestStage(), settings: IngestSettings(catalog: [catalog], images: []))
    }

    static func asin(_ index: Int) -> String { String(format: "B0FETCH%04d", index + 1) }

    func context(threads: Int = 2) -> StageContext {
        StageContext(workDirectory: work.path, threads: threads, showProgress: false)
    }

    /// Settings for a loopback server: short timeouts and backoff, every failure allowed.
    static var settings: FetchSettings {
        var settings = FetchSettings.defaults
        settings.timeout = 1.5
        settings.connectTimeout = 1
        settings.retries = 2
        settings.retryBackoff = 0.05
        settings.maxRejectRatio = 1
        return settings
    }

    func fetch(_ settings: FetchSettings = FetchFixture.settings, threads: Int = 2) throws -> StageReport {
        try StageRunner(context: context(threads: threads)).run(FetchStage(), settings: settings)
    }

    /// Each item's row of `fetch.sqlite`, by asin order.
    func rows() throws -> [Row] {
        let fetch = try StageOutputReader.open(path: work.file("fetch.sqlite"))
        defer { try? fetch.close() }
        return try fetch.read { db in try Row.fetchAll(db, sql: "SELECT * FROM fetches ORDER BY item") }
    }

    /// The URLs the journal holds a result for.
    func journaled() throws -> Set<String> {
        let journal = try DatabaseQueue(path: work.file(FetchJournal.fileName))
        defer { try? journal.close() }
        return Set(try journal.read { db in try String.fetchAll(db, sql: "SELECT url FROM results") })
    }
}
