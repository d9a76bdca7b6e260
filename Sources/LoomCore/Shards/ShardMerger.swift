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
    public static let workCountKeys: Set<String> = ["reused", "computed", "files_read", "written"]

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
        let metas = try files.map { try StageMeta.read(path: $0.path) }
        // Meta entries of the whole output (a count of vectors) differ from shard to shard.
        let shard = try StageOutputReader.open(path: files[0].path)
        let wholeKeys = Set(try shard.read(plan.summary).meta.keys)
        try shard.close()
        try Self.checkAgree(files, metas, stage: S.name, ignoring: Self.timingKeys.union(wholeKeys))

        let output = try StageOutput(stage: S.name, finalPath: wholePath)
        do {
            // Built on a kernel copy of shard 0 (its tables, indexes and rows), to which the
            // other shards' rows are added: half the rows of two shards are never rewritten.
            try output.startFromCopy(of: files[0].path)
            let merged = try combine(files, metas: metas, plan: plan, output: output)
            var meta = merged.meta
            meta.started = metas.map(\.started).min() ?? started
            meta.finished = RunClock.timestamp()
            meta = try output.commit(meta: meta)
            let elapsed = ContinuousClock.now - clock
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            var report = StageReport(
                stage: S.name, shard: Shard.whole.description, status: "ok", records: meta.records, counts: meta.counts,
                rejects: meta.rejects, rejectsByReason: merged.rejectsByReason,
                rejectRatio: 0, seconds: seconds, throughput: Double(meta.records) / max(seconds, 1e-9), unit: "records merged",
                megabytesPerSecond: nil, threads: 1, output: wholePath, started: started, finished: meta.finished)
            report.details = meta.extra.merging(["merged_shards": String(files.count)]) { $1 }
            try report.write(toDirectory: context.workPath("reports"))
            if !keepShards {
                for file in files { _ = unlink(file.path) }
            }
            return report
        } catch {
            output.discard()
            throw error
        }
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

    /// Builds the merged tables in `output` and works out its meta (content hash left to commit).
    func combine(_ files: [ShardFile], metas: [StageMeta], plan: ShardMerge, output: StageOutput) throws -> Merged {
        try output.database.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS shard", arguments: [files[0].path])
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM shard.sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'rejects')
                    AND name NOT LIKE 'sqlite_%' ORDER BY name
                """)
            let schema = try StageOutput.tables(in: db, schema: "shard")
            var rules: [String: ShardMerge.Rule] = [:]
            for table in tables {
                guard let rule = try plan.rule(for: table, in: db, schema: "shard") else {
                    throw LoomError.internalError("no merge rule for table \(table) of \(files[0].path)")
                }
                rules[table] = rule
            }
            try db.execute(sql: "DETACH DATABASE shard")
            for (position, file) in files.enumerated() {
                try db.execute(sql: "ATTACH DATABASE ? AS shard", arguments: [file.path])
                defer { try? db.execute(sql: "DETACH DATABASE shard") }
                guard try StageOutput.tables(in: db, schema: "shard") == schema else {
                    throw LoomError.badInput(path: file.path, position: "tables", reason: "its tables differ from shard \(files[0].shard)'s")
                }
                try db.inTransaction {
                    for table in tables {
                        try Self.add(table, rule: rules[table]!, from: file, position: position, db: db)
                    }
                    if position > 0 {
                        try db.execute(sql: """
                            INSERT INTO main.rejects (stage, source, position, reason, detail)
                            SELECT stage, source, position, reason, detail FROM shard.rejects ORDER BY id
                            """)
                    }
                    return .commit
                }
            }
            for (table, rule) in rules {
                guard case .ordered(let column) = rule else { continue }
                try Self.finishOrdered(table, by: column, db: db)
            }

            let summary = try plan.summary(db)
            var counts: [String: Int] = [:]
            for meta in metas { counts.merge(meta.counts, uniquingKeysWith: +) }
            counts.merge(summary.counts) { $1 }
            var byReason: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT reason, COUNT(*) AS n FROM rejects GROUP BY reason") {
                byReason[row["reason"]] = row["n"]
            }
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
    }

    /// Adds the attached shard's rows of `table` by its rule (shard 0's are there already: the
    /// output started as its copy).
    static func add(_ table: String, rule: ShardMerge.Rule, from file: ShardFile, position: Int, db: Database) throws {
        let name = table.quotedDatabaseIdentifier
        // An ordered table is laid out again from every shard's rows, shard 0's too.
        let isOrdered: Bool
        if case .ordered = rule { isOrdered = true } else { isOrdered = false }
        guard position > 0 || isOrdered else { return }
        switch rule {
        case .partitioned:
            do {
                try db.execute(sql: "INSERT INTO main.\(name) SELECT * FROM shard.\(name)")
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                throw LoomError.badInput(path: file.path, position: "table \(table)",
                                         reason: "rows that an earlier shard holds too (\(error.message ?? "constraint")): a duplicate or overlapping shard")
            }
        case .union:
            try db.execute(sql: "INSERT OR IGNORE INTO main.\(name) SELECT * FROM shard.\(name)")
        case .shared:
            let differing = try Int.fetchOne(db, sql: """
                SELECT (SELECT COUNT(*) FROM (SELECT * FROM main.\(name) EXCEPT SELECT * FROM shard.\(name)))
                     + (SELECT COUNT(*) FROM (SELECT * FROM shard.\(name) EXCEPT SELECT * FROM main.\(name)))
                """) ?? 0
            guard differing == 0 else {
                throw LoomError.badInput(path: file.path, position: "table \(table)",
                                         reason: "differs from shard 0's, which every shard shares: made from other inputs")
            }
        case .ordered:
            // Gathered with the shard's position and own order; laid out by `finishOrdered`.
            if position == 0 {
                try db.execute(sql: "CREATE TEMP TABLE \(gathered(table)) AS SELECT 0 AS merge_shard, rowid AS merge_row, * FROM shard.\(name) WHERE 0")
            }
            try db.execute(sql: "INSERT INTO temp.\(gathered(table)) SELECT \(position), rowid, * FROM shard.\(name)")
        }
    }

    /// The temporary table an `.ordered` table's rows are gathered in.
    static func gathered(_ table: String) -> String { "merge_\(table)".quotedDatabaseIdentifier }

    /// Writes an `.ordered` table's gathered rows in order of `column`, then shard, then each
    /// shard's own order.
    static func finishOrdered(_ table: String, by column: String, db: Database) throws {
        let name = table.quotedDatabaseIdentifier
        let columns = try db.columns(in: table).map { $0.name.quotedDatabaseIdentifier }.joined(separator: ", ")
        try db.inTransaction {
            try db.execute(sql: """
                DELETE FROM main.\(name);
                INSERT INTO main.\(name) (\(columns)) SELECT \(columns) FROM temp.\(gathered(table))
                ORDER BY \(column.quotedDatabaseIdentifier), merge_shard, merge_row;
                DROP TABLE temp.\(gathered(table));
                """)
            return .commit
        }
    }
}
