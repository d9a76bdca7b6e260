import Foundation
import GRDB

/// Opens a finished stage output (or the index) read-only, the way later stages read it.
public enum StageOutputReader {
    public static func open(path: String) throws -> DatabaseQueue {
        try rollBackInterruptedUpdate(of: path)
        var configuration = Configuration()
        configuration.readonly = true
        // Another connection may hold a stage output's lock for a moment (the index stage reads
        // the catalog through ATTACH while the runner hashes it): wait rather than fail.
        configuration.busyMode = .timeout(30)
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw LoomError.inputMissing(path: path, reason: "cannot open as SQLite (\(error))")
        }
    }

    /// An output updated in place (a stage's rerun, a merge inside shard 0) by a process that
    /// was killed keeps its previous content in a hot journal beside it, which a read-only
    /// connection cannot roll back ("attempt to write a readonly database"): one read-write
    /// opening does. A journal of an update still running is not hot and is left alone.
    public static func rollBackInterruptedUpdate(of path: String) throws {
        guard FileManager.default.fileExists(atPath: path + "-journal") else { return }
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            let database = try DatabaseQueue(path: path, configuration: configuration)
            _ = try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master") }
            try database.close()
        } catch {
            throw LoomError.badInput(path: path, position: "journal", reason: "cannot roll back an interrupted update: \(error)")
        }
    }
}
