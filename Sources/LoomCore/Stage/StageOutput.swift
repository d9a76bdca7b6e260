import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// A stage's SQLite output under construction. It lives at `<final>.tmp-<pid>` until `commit`
/// writes `meta`, syncs it to disk and renames it over the final path in one step, so a crash,
/// a kill or a thrown error at any moment leaves the previous output as it was. A stage whose
/// output is large (stored images, features) may instead update the previous output in place,
/// in one SQLite transaction (`updatePreviousInPlace`): the same guarantee, from SQLite's
/// rollback journal.
public final class StageOutput: @unchecked Sendable {
    // @unchecked: `database` is a GRDB DatabaseQueue (serialises its own access); the paths are
    // immutable; `rejects` is internally locked.
    public let finalPath: String
    public let temporaryPath: String
    /// The output a rerun reuses rows from: the final path's, or for a shard without one of its
    /// own, the whole output (last night's merge), whose rows of this shard's items it reuses.
    public let previousPath: String
    /// Replaced only by `adoptPrevious` or `updatePreviousInPlace`, before the stage writes anything.
    public private(set) var database: DatabaseQueue
    public private(set) var rejects: RejectLog
    /// Whether `database` is the previous output itself, inside the transaction that updates it.
    public private(set) var inPlace = false

    init(stage: String, finalPath: String, wholePath: String? = nil) throws {
        self.finalPath = finalPath
        previousPath = FileManager.default.fileExists(atPath: finalPath) ? finalPath : wholePath ?? finalPath
        temporaryPath = "\(finalPath).tmp-\(getpid())"
        let manager = FileManager.default
        let directory = (finalPath as NSString).deletingLastPathComponent
        let temporary = temporaryPath
        (database, interruptToken) = try Interruption.critical {
            do {
                try manager.createDirectory(atPath: directory.isEmpty ? "." : directory, withIntermediateDirectories: true)
                for leftover in [temporary, temporary + "-journal"] where manager.fileExists(atPath: leftover) {
                    try manager.removeItem(atPath: leftover)
                }
                let database = try StageOutput.openFresh(temporary)
                return (database, Interruption.onInterrupt { _ = unlink(temporary) })
            } catch {
                // A disk that fills while the empty output's tables are made leaves nothing behind.
                _ = unlink(temporary)
                throw LoomError.cannotCreateOutput(path: temporary, reason: "\(error)")
            }
        }
        rejects = RejectLog(stage: stage, database: database)
    }

    /// Removes the temporary file if the command is interrupted; dropped once it is renamed
    /// into place or discarded.
    private var interruptToken: Interruption.Token?

    private func finished() {
        if let interruptToken { Interruption.remove(interruptToken) }
        interruptToken = nil
    }

    /// The output this run replaces, opened read-only, when it was made under the same
    /// `reuseKey` (recorded in its meta as `reuse_key`: the version of the stage's computation
    /// and whatever else shapes its rows — settings, model hashes — but not Loom's version, so
    /// an upgrade that keeps the computation keeps the rows). Nil when there is none, it cannot
    /// be read, or it was made otherwise: then every row is computed. A stage with rows of two
    /// kinds, reused under different keys, records the second under its own `keyName`.
    public func previous(reuseKey: String, keyName: String = StageOutput.reuseKeyName) -> DatabaseQueue? {
        guard madePrevious(under: reuseKey, keyName: keyName) else { return nil }
        return try? StageOutputReader.open(path: previousPath)
    }

    /// Whether there is a previous output whose meta records `reuseKey` under `keyName`.
    private func madePrevious(under reuseKey: String, keyName: String = StageOutput.reuseKeyName) -> Bool {
        guard FileManager.default.fileExists(atPath: previousPath), let meta = try? StageMeta.read(path: previousPath) else { return false }
        return meta.extra[keyName] == reuseKey
    }

    /// The page cache of an output being built, in KiB: part of every stage's peak memory.
    static let pageCacheKilobytes = 64 << 10

    /// A new temporary output with its `meta` and `rejects` tables.
    static func openFresh(_ path: String) throws -> DatabaseQueue {
        let database = try openTemporary(path)
        try database.write { db in
            try db.execute(sql: StageMeta.schema)
            try db.execute(sql: RejectLog.schema)
        }
        return database
    }

    static func openTemporary(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // Nothing reads the temporary file but us, and it is fsynced before the rename:
            // no journal and no syncs while building it.
            try db.execute(sql: "PRAGMA journal_mode = OFF")
            try db.execute(sql: "PRAGMA synchronous = OFF")
            // A bounded page cache above SQLite's 2 MB default: inserts in the order of a unique
            // index (asins, hashes) otherwise reread evicted index pages, a system call each.
            try db.execute(sql: "PRAGMA cache_size = -\(StageOutput.pageCacheKilobytes)")
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Starts this output as a copy of the previous one, when that was made under the same
    /// `reuseKey` and holds the tables `schema` makes (a release that changed them does not
    /// inherit the old ones, whatever its key says): the stage then deletes and adds rows instead
    /// of writing every row again (a gigabyte of stored images costs a quarter of a second to copy
    /// in the kernel, seconds to write row by row). The copy keeps the previous tables and their
    /// rows, without its `meta` and `rejects`; the previous output itself is untouched until
    /// commit replaces it. Returns false, with an empty output as before, when there is no such
    /// previous output. Call it before the stage writes anything.
    /// `upgrade`, when given, is SQL that brings an earlier layout of the same rows to `schema`
    /// (an index added), run on the copy before its tables are compared.
    public func adoptPrevious(reuseKey: String, schema: String, upgrade: String? = nil) throws -> Bool {
        guard rejects.total == 0, madePrevious(under: reuseKey) else { return false }
        var adopted = false
        do {
            let copy = try replaceWithCopy(of: previousPath)
            if let upgrade { try copy.write { db in try db.execute(sql: upgrade) } }
            if try StageOutput.tables(of: copy) == StageOutput.tables(of: schema) {
                try copy.write { db in try db.execute(sql: "DELETE FROM meta; DELETE FROM rejects") }
                database = copy
                adopted = true
            } else {
                try copy.close()
                _ = unlink(temporaryPath)
                database = try StageOutput.openFresh(temporaryPath)
            }
        } catch {
            throw LoomError.cannotCreateOutput(path: temporaryPath, reason: "copying the previous output: \(error)")
        }
        rejects = RejectLog(stage: rejects.stage, database: database)
        return adopted
    }

    /// Makes this output the previous output itself, updated in place inside one transaction
    /// (SQLite's rollback journal, synced), when that was made under the same `reuseKey`, holds
    /// the tables `schema` makes and is this output's own (not the whole output a shard reuses
    /// rows from: that one a shard copies, as `adoptPrevious` does). Nothing is copied and only
    /// the changed pages are written and synced, where a copy cost seconds and a second disk's
    /// worth of a gigabyte-sized file. Until `commit` every reader sees the previous output; a
    /// crash, a kill or an error leaves it as it was (the next opening rolls the journal back,
    /// `StageOutputReader.rollBackInterruptedUpdate`). The stage writes through `write`, which
    /// joins the open transaction. Returns false as `adoptPrevious` does (whose `upgrade` runs
    /// here inside the transaction); call it before the stage writes anything.
    public func updatePreviousInPlace(reuseKey: String, schema: String, upgrade: String? = nil) throws -> Bool {
        guard previousPath == finalPath else { return try adoptPrevious(reuseKey: reuseKey, schema: schema, upgrade: upgrade) }
        guard rejects.total == 0, madePrevious(under: reuseKey) else { return false }
        try StageOutputReader.rollBackInterruptedUpdate(of: finalPath)
        let previous: DatabaseQueue
        do {
            previous = try StageOutput.openForUpdate(finalPath)
            try previous.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE; DELETE FROM meta; DELETE FROM rejects")
                if let upgrade { try db.execute(sql: upgrade) }
            }
            guard try previous.writeWithoutTransaction({ db in try StageOutput.tables(in: db) }) == StageOutput.tables(of: schema) else {
                try previous.writeWithoutTransaction { db in try db.execute(sql: "ROLLBACK") }
                try previous.close()
                return false
            }
        } catch {
            throw LoomError.cannotCreateOutput(path: finalPath, reason: "opening the previous output to update it: \(error)")
        }
        try database.close()
        _ = unlink(temporaryPath)
        finished()
        database = previous
        inPlace = true
        rejects = RejectLog(stage: rejects.stage, database: database, inPlace: true)
        return true
    }

    /// The update in place no longer has its transaction (SQLite rolled it back after an error).
    static func lostTransaction(path: String) -> LoomError {
        .cannotCreateOutput(path: path, reason: "SQLite rolled the update back after an error (a full disk or an I/O error); the previous output is as it was")
    }

    /// A finished output opened to be updated: rollback journal, synced at commit with its
    /// directory (the journal's removal is the commit), and the page cache of a new output.
    static func openForUpdate(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        // The update is one transaction across the stage's many accesses.
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            try db.execute(sql: "PRAGMA synchronous = EXTRA")
            try db.execute(sql: "PRAGMA cache_size = -\(StageOutput.pageCacheKilobytes)")
            // The stage's scratch tables of last night's rows (looked up by hash, in random
            // order) get the same room: SQLite's 2 MB default spilled them to a temporary file.
            try db.execute(sql: "PRAGMA temp.cache_size = -\(StageOutput.pageCacheKilobytes)")
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Runs `body` in a transaction on the output: its own, or for an output updated in place,
    /// the one open update (so a stage writes the same way in both).
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in
            if db.isInsideTransaction { return try body(db) }
            // SQLite rolls a transaction back by itself on some errors (a full disk); an update
            // in place must then stop, not go on writing into last night's file.
            if inPlace { throw StageOutput.lostTransaction(path: finalPath) }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            return result!   // set: inTransaction ran the body or threw
        }
    }

    /// Starts this output as a copy of `path` (the shard a merge builds on): its tables and
    /// rows, its rejects, without its meta. Call it before anything is written.
    func startFromCopy(of path: String) throws {
        do {
            database = try replaceWithCopy(of: path)
            try database.write { db in try db.execute(sql: "DELETE FROM meta") }
        } catch {
            throw LoomError.cannotCreateOutput(path: temporaryPath, reason: "copying \(path): \(error)")
        }
        rejects = RejectLog(stage: rejects.stage, database: database)
    }

    /// Closes the temporary output and puts a kernel copy of `path` in its place, opened as a
    /// temporary output is.
    private func replaceWithCopy(of path: String) throws -> DatabaseQueue {
        try database.close()
        _ = unlink(temporaryPath)
        try FileCopy.copy(from: path, to: temporaryPath)
        return try StageOutput.openTemporary(temporaryPath)
    }

    /// The definitions of a database's own tables and indexes (not `meta`, `rejects`, SQLite's).
    static func tables(of database: DatabaseQueue) throws -> [String] {
        try database.read { db in try tables(in: db) }
    }

    /// The same, of the database attached as `schema` on `db`.
    static func tables(in db: Database, schema: String = "main") throws -> [String] {
        try String.fetchAll(db, sql: tablesQuery(schema: schema))
    }

    /// The query behind `tables`, for a connection outside GRDB (a shard being merged).
    static func tablesQuery(schema: String) -> String {
        """
        SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM \(schema).sqlite_master
        WHERE name NOT IN ('meta', 'rejects') AND name NOT LIKE 'sqlite_%' ORDER BY type, name
        """
    }

    /// The same of the tables `schema` makes.
    static func tables(of schema: String) throws -> [String] {
        let scratch = try DatabaseQueue()
        try scratch.write { db in try db.execute(sql: schema) }
        return try tables(of: scratch)
    }

    /// The meta key under which a stage records what its rows' reuse depends on.
    public static let reuseKeyName = "reuse_key"

    /// Writes `meta` (filling in the content hash), syncs, and renames into place.
    func commit(meta: StageMeta) throws -> StageMeta {
        var meta = meta
        try rejects.flush()
        try write { db in
            meta.contentHash = try ContentHash.database(db)
            try meta.write(db)
        }
        if inPlace {
            try Interruption.critical {
                try database.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
                finished()
            }
            try database.close()
            return meta
        }
        try database.close()
        try SystemCall.sync(path: temporaryPath)
        try Interruption.critical {
            try SystemCall.moveIntoPlace(temporaryPath, to: finalPath)
            finished()
        }
        return meta
    }

    /// Keeps a failed attempt (for example too many rejects) beside the output for inspection,
    /// as `<final>.failed`, without touching the previous output.
    func keepAsFailed(meta: StageMeta) throws -> String {
        try rejects.flush()
        let failedPath = finalPath + ".failed"
        if inPlace { return try keepRejectsAsFailed(meta: meta, at: failedPath) }
        try database.write { db in try meta.write(db) }
        try database.close()
        _ = unlink(failedPath)
        try Interruption.critical {
            try SystemCall.rename(temporaryPath, to: failedPath)
            finished()
        }
        return failedPath
    }

    /// An update in place that failed on its rejects: the meta and rejects go to `failedPath`
    /// (its rows stay those of the previous output, which the rollback restores).
    private func keepRejectsAsFailed(meta: StageMeta, at failedPath: String) throws -> String {
        let staging = failedPath + ".tmp-\(getpid())"
        _ = unlink(staging)
        let failed = try StageOutput.openFresh(staging)
        try database.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT stage, source, position, reason, detail FROM rejects ORDER BY id")
            try failed.write { out in
                let insert = try out.makeStatement(sql: "INSERT INTO rejects (stage, source, position, reason, detail) VALUES (?, ?, ?, ?, ?)")
                while let row = try rows.next() {
                    try insert.execute(arguments: StatementArguments(row.databaseValues))
                }
                try meta.write(out)
            }
        }
        try failed.close()
        discard()
        try SystemCall.rename(staging, to: failedPath)
        return failedPath
    }

    /// Removes the temporary file after an error; an update in place is rolled back.
    func discard() {
        if inPlace {
            try? database.writeWithoutTransaction { db in
                if db.isInsideTransaction { try db.execute(sql: "ROLLBACK") }
            }
            try? database.close()
            finished()
            return
        }
        try? database.close()
        Interruption.critical {
            _ = unlink(temporaryPath)
            finished()
        }
    }
}
