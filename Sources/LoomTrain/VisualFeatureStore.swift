import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomInference

/// The training items' backbone features, left in `features.sqlite` and read as batches need
/// them: held in memory they were 5 kB per item (half a gigabyte per 100,000 items), read here
/// they cost a few microseconds per item and step. Each item slot knows only the rowid of its
/// image's features (8 bytes). The file is not replaced under a run: stages hold the work lock.
public final class VisualFeatureStore: @unchecked Sendable {
    // @unchecked: `database` serialises its own access; `rows` is immutable; `failed` is
    // only touched under `lock`.
    private let database: DatabaseQueue
    /// Per item slot: the features row of its image, or nil.
    private let rows: [Int64?]
    private let lock = NSLock()
    private var failed = 0

    init(database: DatabaseQueue, rows: [Int64?]) {
        self.database = database
        self.rows = rows
    }

    public var itemsWithImage: Int { rows.count { $0 != nil } }

    /// The features of item slot `slot`; nil when it has no image. A row that cannot be read
    /// (the file damaged under the run) is nil too, and counted: `readFailures`, which the train
    /// stage turns into an error instead of a model trained without those images.
    public func features(of slot: Int) -> [Float]? {
        guard let row = rows[slot] else { return nil }
        let blob = try? database.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT visual FROM features WHERE rowid = ?"), arguments: [row])
        }
        guard let values = blob.flatMap({ $0 }).flatMap(FloatBlob.decode), values.count == MobileNetV2.featureCount else {
            lock.lock()
            failed += 1
            lock.unlock()
            return nil
        }
        return values
    }

    /// Throws bad input naming `path` (features.sqlite) when any read of a features row failed:
    /// a model trained or evaluated without those images must not pass for a good one.
    public func requireAllReads(path: String) throws {
        let failures = readFailures
        guard failures > 0 else { return }
        throw LoomError.badInput(path: path, position: nil,
                                 reason: "\(failures) reads of backbone features failed (the file is damaged or changed under the run); rerun features")
    }

    /// Reads of an item's features row that failed so far.
    public var readFailures: Int {
        lock.lock()
        defer { lock.unlock() }
        return failed
    }

    /// Each item's features row in `features.sqlite` by item id, and the items whose blob is
    /// not `expectedCount` float32 values (with its length in bytes), checked without reading
    /// the blobs. The store reads through the same connection, so the rowids stay its own.
    static func locate(_ features: DatabaseQueue, expectedCount: Int) throws -> (rows: [Int64: Int64], wrongSize: [Int64: Int]) {
        try features.readStored("features") { db in
            var rows: [Int64: Int64] = [:]
            var wrongSize: [Int64: Int] = [:]
            let cursor = try Row.fetchCursor(db, sql: """
                SELECT i.id AS id, f.rowid AS row, length(f.visual) AS bytes FROM items i JOIN features f ON f.image_hash = i.image_hash
                """)
            while let row = try cursor.next() {
                let id: Int64 = try row.stored("id"), bytes: Int = try row.stored("bytes")
                if bytes == expectedCount * 4 { rows[id] = try row.stored("row") } else { wrongSize[id] = bytes }
            }
            return (rows, wrongSize)
        }
    }
}
