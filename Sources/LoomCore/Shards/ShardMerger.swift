import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif

/// `loom merge`: combines the outputs of a stage's `--shard i/n` runs into the output a whole
/// run makes (the same content hash and meta, but for timings and the work counts), written
/// atomically as any stage output and fresh for `loom run`. A set that is incomplete, holds a
/// shard twice, or whose shards came from different inputs, settings or Loom versions is
/// refused (exit 65) before anything is written.
public struct ShardMerger: Sendable {
    public var context: StageContext

    public init(context: StageContext) {
        var whole = context
        whole.shard = .whole
        self.context = whole
    }

    /// Meta entries that time a run (a merge sums or restamps them; they never decide anything).
    public static let timingKeys: Set<String> = ["started", "finished", "computed_seconds", "created"]
    /// Counts of how the work was done rather than what it made: shards sharing an image each
    /// compute it, so their sum can exceed a whole run's.
    public static let workCountKeys: Set<String> = [
        "reused", "computed", "files_read", "written", "text_reused", "text_computed", "text_tokens",
    ]

    /// One shard's output file.
    public struct ShardFile: Sendable, Equatable {
        public var shard: Shard
        public var path: String
    }

    /// The shard outputs of `S` beside its whole output, by shard count.
    public func shardFiles<S: Stage>(of type: S.Type) throws -> [Int: [ShardFile]] {
        let whole = StageRunner(context: context).outputPath(of: S.self)
        let directory = (whole as NSString).deletingLastPathComponent
        let name = (whole as NSString).lastPathComponent
        let base = (name as NSString).deletingPathExtension + ".shard-"
        let ext = "." + (name as NSString).pathExtension
        var found: [Int: [ShardFile]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        where entry.hasPrefix(base) && entry.hasSuffix(ext) {
            // base + "i-of-n" + ext
            let middle = entry.dropFirst(base.count).dropLast(ext.count).split(separator: "-", omittingEmptySubsequences: false)
            guard middle.count == 3, middle[1] == "of", let index = Int(middle[0]), let count = Int(middle[2]),
                  let shard = try? Shard(index: index, count: count), count > 1,
                  entry == StageRunner.outputFileName(name, shard: shard) else { continue }
            found[count, default: []].append(ShardFile(shard: shard, path: (directory as NSString).appendingPathComponent(entry)))
        }
        return found.mapValues { $0.sorted { $0.shard.index < $1.shard.index } }
    }

    /// Merges the `count` shard outputs of `stage` (nil: the one count there is) into its whole
    /// output; removes the shard files afterwards unless `keepShards`.
    @discardableResult
    public func merge<S: Stage>(_ stage: S, count: Int? = nil, keepShards: Bool = false) throws -> StageReport {
        guard let plan = S.shardMerge else {
            throw LoomError.usage("stage \(S.name) runs whole only; it has no shards to merge", key: "stage")
        }
        let clock = ContinuousClock.now
        let started = RunClock.timestamp()
        let wholePath = StageRunner(context: context).outputPath(of: S.self)
        let files = try pickShards(of: S.self, count: count, wholePath: wholePath)
        for file in files { try StageOutputReader.rollBackInterruptedUpdate(of: file.path) }
        let metas = try files.map { try StageMeta.read(path: $0.path) }
        let marker = Self.marker(of: files[0].path)

        let merged: Merged
        if FileManager.default.fileExists(atPath: marker), metas[0].stage == S.name, metas[0].shard == Shard.whole.description {
            // A merge that committed inside shard 0 and was stopped before its rename: the
            // file holds the whole output already.
            let reasons = try StageOutputReader.open(path: files[0].path).read(Self.rejectsByReason)
            merged = Merged(meta: metas[0], rejectsByReason: reasons)
            try Self.moveIntoPlace(files[0].path, wholePath: wholePath)
        } else {
            _ = unlink(marker)
            // Meta entries of the whole output (a count of vectors) differ from shard to shard.
            let shard = try StageOutputReader.open(path: files[0].path)
            let wholeKeys = Set(try shard.read(plan.summary).meta.keys)
            try shard.close()
            try Self.checkAgree(files, metas, stage: S.name, ignoring: Self.timingKeys.union(wholeKeys))
            if keepShards {
                // The shards stay: build on a kernel copy of shard 0, in a temporary output.
                let output = try StageOutput(stage: S.name, finalPath: wholePath)
                do {
                    try output.startFromCopy(of: files[0].path)
                    var combined = try output.database.write { db in try combine(files, metas: metas, plan: plan, db: db) }
                    combined.meta.started = metas.map(\.started).min() ?? started
                    combined.meta.finished = RunClock.timestamp()
                    combined.meta = try output.commit(meta: combined.meta)
                    merged = combined
                } catch {
                    output.discard()
                    throw error
                }
            } else {
                merged = try mergeInPlace(files, metas: metas, plan: plan, started: started, wholePath: wholePath)
            }
        }
        if !keepShards {
            for file in files.dropFirst() { _ = unlink(file.path) }
        }
        let meta = merged.meta
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        var report = StageReport(
            stage: S.name, shard: Shard.whole.description, status: "ok", records: meta.records, counts: meta.counts,
            rejects: meta.rejects, rejectsByReason: merged.rejectsByReason,
            rejectRatio: 0, seconds: seconds, throughput: Double(meta.records) / max(seconds, 1e-9), unit: "records merged",
            megabytesPerSecond: nil, threads: 1, output: wholePath, started: started, finished: meta.finished)
        report.details = meta.extra.merging(["merged_shards": String(files.count)]) { $1 }
        try report.write(toDirectory: context.workPath("reports"))
        return report
    }

    /// The file beside shard 0 that says a merge is being built inside it: with shard 0 holding a
    /// whole output's meta, that merge committed and only its rename is left.
    static func marker(of path: String) -> String { path + ".merging" }

    /// Renames a merged shard 0 into place and drops its marker.
    static func moveIntoPlace(_ path: String, wholePath: String) throws {
        try SystemCall.sync(path: path)
        try SystemCall.moveIntoPlace(path, to: wholePath)
        _ = unlink(marker(of: path))
    }

    /// Merges into shard 0's own file, in one SQLite transaction with a rollback journal, and
    /// renames it into place: the largest shard's rows are neither copied nor written again
    /// (copying a gigabyte of stored images cost half the merge). A failure rolls the
    /// transaction back and a kill leaves a hot journal that the next merge rolls back, so shard
    /// 0 is as it was until the commit; a kill after the commit leaves shard 0 holding the whole
    /// output beside its marker, and the next merge renames it into place.
    func mergeInPlace(_ files: [ShardFile], metas: [StageMeta], plan: ShardMerge, started: String, wholePath: String) throws -> Merged {
        let path = files[0].path
        let marker = Self.marker(of: path)
        guard FileManager.default.createFile(atPath: marker, contents: Data(wholePath.utf8)) else {
            throw LoomError.cannotCreateOutput(path: marker, reason: "cannot mark the merge")
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = DELETE")
            try db.execute(sql: "PRAGMA cache_size = -\(StageOutput.pageCacheKilobytes)")
        }
        let merged: Merged
        do {
            let database = try DatabaseQueue(path: path, configuration: configuration)
            merged = try database.write { db in
                var combined = try combine(files, metas: metas, plan: plan, db: db)
                combined.meta.started = metas.map(\.started).min() ?? started
                combined.meta.finished = RunClock.timestamp()
                combined.meta.contentHash = try ContentHash.database(db)
                try db.execute(sql: "DELETE FROM meta")
                try combined.meta.write(db)
                return combined
            }
            try database.close()
        } catch {
            _ = unlink(marker)
            throw LoomError.classify(error, output: path)
        }
        try Self.moveIntoPlace(path, wholePath: wholePath)
        return merged
    }

    /// The complete set of `count` shards (or of the one count present).
    func pickShards<S: Stage>(of type: S.Type, count: Int?, wholePath: String) throws -> [ShardFile] {
        let found = try shardFiles(of: S.self)
        let directory = (wholePath as NSString).deletingLastPathComponent
        let total: Int
        if let count {
            total = count
        } else {
            guard let only = found.keys.first else {
                throw LoomError.inputMissing(path: directory.isEmpty ? "." : directory, reason: "no shard outputs of stage \(S.name) here")
            }
            guard found.count == 1 else {
                throw LoomError.badInput(path: directory, position: "stage \(S.name)",
                                         reason: "shard outputs of several counts (\(found.keys.sorted().map { "of \($0)" }.joined(separator: ", "))); say which with --shards")
            }
            total = only
        }
        guard total >= 2 else { throw LoomError.usage("--shards must be at least 2 to merge, got \(total)", key: "shards") }
        let files = found[total] ?? []
        let present = Set(files.map(\.shard.index))
        let missing = (0..<total).filter { !present.contains($0) }
        guard missing.isEmpty else {
            let name = (wholePath as NSString).lastPathComponent
            let names = try missing.prefix(5).map { StageRunner.outputFileName(name, shard: try Shard(index: $0, count: total)) }
            throw LoomError.badInput(path: directory, position: "stage \(S.name)",
                                     reason: "incomplete set: \(missing.count) of \(total) shards missing (\(names.joined(separator: ", "))\(missing.count > 5 ? ", …" : ""))")
        }
        return files
    }

    /// Refuses shards that are not parts of one run: another stage, a file that holds another
    /// shard than its name says (a copy), or other inputs, settings, Loom version or stage meta.
    static func checkAgree(_ files: [ShardFile], _ metas: [StageMeta], stage: String, ignoring ignored: Set<String>) throws {
        let first = metas[0]
        let firstExtra = first.extra.filter { !ignored.contains($0.key) }
        for (file, meta) in zip(files, metas) {
            func refuse(_ reason: String) -> LoomError {
                .badInput(path: file.path, position: "meta", reason: reason)
            }
            guard meta.stage == stage else { throw refuse("an output of stage \(meta.stage), not \(stage)") }
            guard meta.shard == file.shard.description else {
                throw refuse("holds shard \(meta.shard), not \(file.shard) as its name says: a duplicate or renamed shard")
            }
            guard meta.loomVersion == first.loomVersion else {
                throw refuse("made by Loom \(meta.loomVersion), shard \(files[0].shard) by \(first.loomVersion)")
            }
            guard meta.settings == first.settings else { throw refuse("made with other settings than shard \(files[0].shard)") }
            guard meta.inputs == first.inputs else {
                let labels = zip(meta.inputs, first.inputs).filter { $0 != $1 }.map(\.0.label)
                throw refuse("made from other inputs than shard \(files[0].shard)\(labels.isEmpty ? "" : " (\(labels.joined(separator: ", ")))")")
            }
            let extra = meta.extra.filter { !ignored.contains($0.key) }
            guard extra == firstExtra else {
                let keys = Set(extra.keys).union(firstExtra.keys).filter { extra[$0] != firstExtra[$0] }.sorted()
                throw refuse("its meta differs from shard \(files[0].shard)'s in \(keys.joined(separator: ", "))")
            }
        }
    }

    struct Merged {
        var meta: StageMeta
        var rejectsByReason: [String: Int]
    }

    /// Adds the other shards' rows to `db` (shard 0, or its copy), inside the caller's one
    /// transaction, and works out the merged meta (content hash left to the caller).
    func combine(_ files: [ShardFile], metas: [StageMeta], plan: ShardMerge, db: Database) throws -> Merged {
        let tables = try String.fetchAll(db, sql: """
            SELECT name FROM main.sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'rejects')
                AND name NOT LIKE 'sqlite_%' ORDER BY name
            """)
        let schema = try StageOutput.tables(in: db)
        var rules: [String: ShardMerge.Rule] = [:]
        for table in tables {
            guard let rule = try plan.rule(for: table, in: db, schema: "main") else {
                throw LoomError.internalError("no merge rule for table \(table) of \(files[0].path)")
            }
            rules[table] = rule
        }
        for file in files.dropFirst() {
            let source = try ShardSource(path: file.path)
            guard try source.tables() == schema else {
                throw LoomError.badInput(path: file.path, position: "tables", reason: "its tables differ from shard \(files[0].shard)'s")
            }
            for table in tables {
                try Self.add(table, rule: rules[table]!, from: source, db: db)
            }
            try source.copyRows("SELECT stage, source, position, reason, detail FROM rejects ORDER BY id", into: db,
                                insert: "INSERT INTO main.rejects (stage, source, position, reason, detail) VALUES (?, ?, ?, ?, ?)")
        }

        let summary = try plan.summary(db)
        var counts: [String: Int] = [:]
        for meta in metas { counts.merge(meta.counts, uniquingKeysWith: +) }
        counts.merge(summary.counts) { $1 }
        let byReason = try Self.rejectsByReason(db)
        var meta = StageMeta(
            stage: metas[0].stage, loomVersion: metas[0].loomVersion, settings: metas[0].settings, inputs: metas[0].inputs,
            shard: Shard.whole.description, started: "", finished: "", records: metas.map(\.records).reduce(0, +),
            rejects: byReason.values.reduce(0, +), counts: counts, contentHash: "")
        meta.extra = metas[0].extra.merging(summary.meta) { $1 }
        let computed = metas.compactMap { $0.extra["computed_seconds"].flatMap(Double.init) }
        if !computed.isEmpty { meta.extra["computed_seconds"] = String(format: "%.3f", computed.reduce(0, +)) }
        if meta.extra["created"] != nil { meta.extra["created"] = RunClock.timestamp() }
        return Merged(meta: meta, rejectsByReason: byReason)
    }

    /// The rejects of an output by reason.
    @Sendable static func rejectsByReason(_ db: Database) throws -> [String: Int] {
        var byReason: [String: Int] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT reason, COUNT(*) AS n FROM rejects GROUP BY reason") {
            byReason[try row.stored("reason")] = try row.stored("n")
        }
        return byReason
    }

    /// Adds shard `source`'s rows of `table` by its rule (shard 0's are there already).
    static func add(_ table: String, rule: ShardMerge.Rule, from source: ShardSource, db: Database) throws {
        let name = table.quotedDatabaseIdentifier
        let columns = try db.columns(in: table).map { $0.name.quotedDatabaseIdentifier }
        let list = columns.joined(separator: ", ")
        let parameters = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        let select = "SELECT \(list) FROM \(name)"
        switch rule {
        case .partitioned:
            do {
                try source.copyRows(select, into: db, insert: "INSERT INTO main.\(name) (\(list)) VALUES (\(parameters))")
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw LoomError.badInput(path: source.path, position: "table \(table)",
                                         reason: "rows that an earlier shard holds too (\(error.message ?? "constraint")): a duplicate or overlapping shard")
            }
        case .union:
            try source.copyRows(select, into: db, insert: "INSERT OR IGNORE INTO main.\(name) (\(list)) VALUES (\(parameters))")
        case .shared:
            let copy = "merge_shared".quotedDatabaseIdentifier
            try db.execute(sql: "CREATE TEMP TABLE \(copy) AS SELECT \(list) FROM main.\(name) WHERE 0")
            defer { try? db.execute(sql: "DROP TABLE temp.\(copy)") }
            try source.copyRows(select, into: db, insert: "INSERT INTO temp.\(copy) VALUES (\(parameters))")
            let differing = try Int.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM (SELECT \(list) FROM main.\(name) EXCEPT SELECT * FROM temp.\(copy)))
                     + (SELECT COUNT(*) FROM (SELECT * FROM temp.\(copy) EXCEPT SELECT \(list) FROM main.\(name)))
                """) ?? 0
            guard differing == 0 else {
                throw LoomError.badInput(path: source.path, position: "table \(table)",
                                         reason: "differs from shard 0's, which every shard shares: made from other inputs")
            }
        case .appended:
            try source.copyRows(select, into: db, insert: "INSERT INTO main.\(name) (\(list)) VALUES (\(parameters))")
        }
    }
}
