import GRDB

/// Opens a finished stage output (or the index) read-only, the way later stages read it.
public enum StageOutputReader {
    public static func open(path: String) throws -> DatabaseQueue {
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
}
