import Foundation
import GRDB

/// The `meta` table of a stage output: what produced it, from what, and when.
public struct StageMeta: Sendable, Equatable {
    public var stage: String
    public var loomVersion: String
    /// Canonical JSON (sorted keys) of the settings, including the run seed.
    public var settings: String
    public var inputs: [HashedInput]
    public var shard: String
    public var started: String
    public var finished: String
    public var records: Int
    public var rejects: Int
    public var counts: [String: Int]
    /// Hash of every table but `meta`; what later stages record as this output's input hash.
    public var contentHash: String
    /// Stage-specific entries written beside the standard ones.
    public var extra: [String: String] = [:]

    public static let schema = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
    static let standardKeys: Set<String> = ["stage", "loom_version", "settings", "inputs", "shard", "started", "finished",
                                            "records", "rejects", "counts", "content_hash"]

    public init(stage: String, loomVersion: String, settings: String, inputs: [HashedInput], shard: String,
                started: String, finished: String, records: Int, rejects: Int, counts: [String: Int],
                contentHash: String) {
        self.stage = stage
        self.loomVersion = loomVersion
        self.settings = settings
        self.inputs = inputs
        self.shard = shard
        self.started = started
        self.finished = finished
        self.records = records
        self.rejects = rejects
        self.counts = counts
        self.contentHash = contentHash
    }

    func write(_ db: Database) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let rows: [(String, String)] = [
            ("stage", stage),
            ("loom_version", loomVersion),
            ("settings", settings),
            ("inputs", String(decoding: try encoder.encode(inputs), as: UTF8.self)),
            ("shard", shard),
            ("started", started),
            ("finished", finished),
            ("records", String(records)),
            ("rejects", String(rejects)),
            ("counts", String(decoding: try encoder.encode(counts), as: UTF8.self)),
            ("content_hash", contentHash),
        ] + extra.sorted { $0.key < $1.key }
        for (key, value) in rows {
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
        }
    }

    /// The `meta` table as key → value; a NULL, a non-text value or a repeated key throws
    /// `StoredValueError` (read it through `readStored` to name the file).
    public static func readValues(_ db: Database) throws -> [String: String] {
        var values: [String: String] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT key, value FROM meta")
        while let row = try rows.next() {
            let key: String = try row.stored("key")
            guard values.updateValue(try row.stored("value"), forKey: key) == nil else {
                throw StoredValueError(column: "key", expected: "each key once", found: "'\(key)' twice")
            }
        }
        return values
    }

    /// Reads the meta of an existing output; throws when the file is not a readable Loom output.
    public static func read(path: String) throws -> StageMeta {
        guard FileManager.default.fileExists(atPath: path) else {
            throw LoomError.inputMissing(path: path, reason: "no such file")
        }
        try StageOutputReader.rollBackInterruptedUpdate(of: path)
        var configuration = Configuration()
        configuration.readonly = true
        // Another connection may hold a stage output's lock for a moment (the index stage reads
        // the catalog through ATTACH while the runner hashes it): wait rather than fail.
        configuration.busyMode = .timeout(30)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            let values = try queue.readStored("meta", path: path) { db in try readValues(db) }
            func value(_ key: String) throws -> String {
                guard let value = values[key] else {
                    throw LoomError.inputMissing(path: path, reason: "meta has no '\(key)'; not a complete Loom output")
                }
                return value
            }
            let decoder = JSONDecoder()
            var meta = StageMeta(
                stage: try value("stage"),
                loomVersion: try value("loom_version"),
                settings: try value("settings"),
                inputs: try decoder.decode([HashedInput].self, from: Data(try value("inputs").utf8)),
                shard: try value("shard"),
                started: try value("started"),
                finished: try value("finished"),
                records: Int(try value("records")) ?? 0,
                rejects: Int(try value("rejects")) ?? 0,
                counts: try decoder.decode([String: Int].self, from: Data(try value("counts").utf8)),
                contentHash: try value("content_hash"))
            meta.extra = values.filter { !StageMeta.standardKeys.contains($0.key) }
            return meta
        } catch let error as LoomError {
            throw error
        } catch {
            throw LoomError.inputMissing(path: path, reason: "not a readable Loom output (\(error))")
        }
    }
}

extension StageMeta {
    /// Refuses outputs made from another content of stage `upstream`'s output than the one at
    /// `upstreamPath` now (a stage `loom run` kept stale, or stages run out of order): joining
    /// their item ids would mix two catalogs.
    public static func requireMadeFromCurrent(_ readers: [String], upstream: String, upstreamPath: String) throws {
        let current = try read(path: upstreamPath).contentHash
        let label = StageInput.stage(name: upstream, fileName: "").label
        for reader in readers {
            let meta = try read(path: reader)
            guard let recorded = meta.inputs.first(where: { $0.label == label }), recorded.hash != current else { continue }
            throw LoomError.inputMissing(path: reader, reason: """
                made from another \((upstreamPath as NSString).lastPathComponent) than the one there now; \
                run stage \(meta.stage) first (loom run … --retrain reruns it with train)
                """)
        }
    }
}
