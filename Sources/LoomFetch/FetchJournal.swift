import Foundation
import GRDB
import LoomCore

/// `work/fetch-journal.sqlite`: every URL's last result, committed in batches while a fetch runs,
/// so a killed run loses nothing it finished and the next run asks only for what has no result.
/// The stage's output (`fetch.sqlite`, written whole at the end like every output) is made from
/// it. Write-ahead log, synced at checkpoints: a killed process keeps every committed batch.
final class FetchJournal {
    private let database: DatabaseQueue
    /// This run's number: a URL retried by `retry_failed` is retried once per run.
    private(set) var run: Int64 = 0

    static let fileName = "fetch-journal.sqlite"

    static let schema = """
        CREATE TABLE IF NOT EXISTS results (
            url TEXT PRIMARY KEY,
            http_status INTEGER,
            status TEXT NOT NULL,
            bytes INTEGER,
            sha256 TEXT,
            format TEXT,
            error TEXT,
            detail TEXT,
            attempts INTEGER NOT NULL,
            run INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS runs (run INTEGER PRIMARY KEY, started TEXT NOT NULL);
        """

    init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try database.write { db in try db.execute(sql: FetchJournal.schema) }
        } catch {
            throw LoomError.cannotCreateOutput(path: path, reason: "opening the fetch journal: \(error)")
        }
    }

    /// Starts a new run (`run`).
    func beginRun() throws {
        run = try database.write { db in
            let next = (try Int64.fetchOne(db, sql: "SELECT MAX(run) FROM runs") ?? 0) + 1
            try db.execute(sql: "INSERT INTO runs (run, started) VALUES (?, ?)", arguments: [next, ISO8601DateFormatter().string(from: Date())])
            return next
        }
    }

    /// The recorded result of each URL (nil where there is none).
    func lookup(_ urls: [String]) throws -> [FetchRecord?] {
        try database.read { db in
            let select = try BoundStatement(db, sql: """
                SELECT http_status, status, bytes, sha256, format, error, detail, attempts, run FROM results WHERE url = ?
                """)
            return try urls.map { url in
                select.bind(1, url)
                return try select.firstRow { row in FetchJournal.record(url: url, row: row) } ?? nil
            }
        }
    }

    private static func record(url: String, row: BoundStatement) -> FetchRecord? {
        let text = { (index: Int32) in String(decoding: row.textBytes(index), as: UTF8.self) }
        let httpStatus = row.isNull(0) ? nil : Int(row.integer(0))
        let result: Result<FetchRecord.Photo, FetchFailure>
        if text(1) == "ok" {
            guard let format = PhotoFormat(rawValue: text(4)) else { return nil }
            result = .success(FetchRecord.Photo(bytes: Int(row.integer(2)), contentHash: text(3), format: format))
        } else {
            // A reason this Loom does not know (a later release's) is no result: fetched again.
            guard let reason = FetchFailure.Reason(rawValue: text(5)) else { return nil }
            result = .failure(FetchFailure(reason, text(6)))
        }
        return FetchRecord(url: url, httpStatus: httpStatus, result: result, attempts: Int(row.integer(7)), run: row.integer(8))
    }

    /// The URLs of the journal at `path` whose last failure can heal (`FetchFailure.Reason.canHeal`),
    /// read without writing (`loom status` asks).
    static func countHealableFailures(path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(30)
        let journal = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? journal.close() }
        let codes = FetchFailure.Reason.allCases.filter(\.canHeal).map { "'\($0.rawValue)'" }.joined(separator: ", ")
        return try journal.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM results WHERE status = 'failed' AND error IN (\(codes))") ?? 0 }
    }

    /// Commits `records` in one transaction.
    func record(_ records: [FetchRecord]) throws {
        guard !records.isEmpty else { return }
        try database.write { db in
            let insert = try BoundStatement(db, sql: """
                INSERT OR REPLACE INTO results (url, http_status, status, bytes, sha256, format, error, detail, attempts, run)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                insert.bind(1, record.url)
                insert.bind(2, record.httpStatus.map { Int64($0) })
                insert.bind(3, record.status)
                insert.bind(4, record.photo.map { Int64($0.bytes) })
                insert.bind(5, record.photo?.contentHash)
                insert.bind(6, record.photo?.format.rawValue)
                insert.bind(7, record.failure?.reason.rawValue)
                insert.bind(8, record.failure?.detail)
                insert.bind(9, Int64(record.attempts))
                insert.bind(10, run)
                try insert.run()
            }
        }
    }

    func close() throws { try database.close() }
}
