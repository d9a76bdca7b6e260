import Foundation
import GRDB

/// The `rejects` table of a stage output. Stages record rejects in input order (never in
/// thread-completion order) so the table is the same bytes at any thread count.
public final class RejectLog: @unchecked Sendable {
    // @unchecked: `pending` and the counters are only touched under `lock`; the database queue
    // serialises its own access.
    public static let schema = """
        CREATE TABLE rejects (
            id INTEGER PRIMARY KEY,
            stage TEXT NOT NULL,
            source TEXT NOT NULL,
            position TEXT NOT NULL,
            reason TEXT NOT NULL,
            detail TEXT NOT NULL
        )
        """

    private struct Entry {
        var source: String
        var position: String
        var reason: String
        var detail: String
    }

    let stage: String
    private let database: DatabaseQueue
    private let lock = NSLock()
    private var pending: [Entry] = []
    private var countsByReason: [String: Int] = [:]
    private var counted = 0
    /// Why a batch could not be written. Outputs are built without a journal, so a batch that
    /// failed half way cannot be taken back and tried again: the error is kept and the final
    /// flush, before commit, throws it — the output is discarded, the previous one untouched.
    private var failure: (any Error)?

    /// `inPlace`: the database is an output updated in one open transaction, which rejects must
    /// join; if SQLite has rolled it back (a full disk), writing them outside it would change
    /// last night's file for good.
    init(stage: String, database: DatabaseQueue, inPlace: Bool = false) {
        self.stage = stage
        self.database = database
        self.inPlace = inPlace
    }

    private let inPlace: Bool

    /// Records one rejected input. `source` is a file or asin, `position` a line number, byte
    /// offset or item id — whatever lets a person find the record again.
    public func record(source: String, position: String, reason: RejectReason, detail: String) {
        lock.lock()
        pending.append(Entry(source: source, position: position, reason: reason.code, detail: detail))
        countsByReason[reason.code, default: 0] += 1
        if reason.countsTowardLimit { counted += 1 }
        let full = pending.count >= 4096 && failure == nil
        lock.unlock()
        // A failure is kept; commit's own flush throws it.
        if full { try? flush() }
    }

    /// Rejects by reason code so far.
    public var byReason: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return countsByReason
    }

    /// Rejects that count toward `max_reject_ratio`.
    public var countedTowardLimit: Int {
        lock.lock()
        defer { lock.unlock() }
        return counted
    }

    public var total: Int { byReason.values.reduce(0, +) }

    /// Writes buffered rejects; called by the stage output before it commits, and by `record`
    /// when the buffer fills, which is usually from inside the stage's own write to the same
    /// database (ingest stores a batch, and its rejects, in one). A plain `write` there is a
    /// reentrant access that GRDB stops with a fatal error, as 4,096 rejects in one batch did;
    /// the reentrant write joins that transaction, or opens one of its own.
    func flush() throws {
        lock.lock()
        if let failure {
            lock.unlock()
            throw failure
        }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        lock.unlock()
        guard !batch.isEmpty else { return }
        do {
            try write(batch)
        } catch {
            lock.lock()
            failure = error
            lock.unlock()
            throw error
        }
    }

    private func write(_ batch: [Entry]) throws {
        try database.unsafeReentrantWrite { db in
            func insert() throws {
                let statement = try db.cachedStatement(
                    sql: "INSERT INTO rejects (stage, source, position, reason, detail) VALUES (?, ?, ?, ?, ?)")
                for entry in batch {
                    try statement.execute(arguments: [stage, entry.source, entry.position, entry.reason, entry.detail])
                }
            }
            if db.isInsideTransaction {
                try insert()
            } else if inPlace {
                throw StageOutput.lostTransaction(path: database.path)
            } else {
                try db.inTransaction {
                    try insert()
                    return .commit
                }
            }
        }
    }
}
