import GRDB

/// Opens a finished stage output (or the index) read-only, the way later stages read it.
public enum StageOutputReader {
    public static func open(path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.readonly = true
        do {
            return try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            throw LoomError.inputMissing(path: path, reason: "cannot open as SQLite (\(error))")
        }
    }
}
