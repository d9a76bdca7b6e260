import GRDB

/// How a stage's shard outputs combine into the output a whole run makes: a rule per table, and
/// what describes the output as a whole rather than as a sum of its shards.
public struct ShardMerge: Sendable {
    /// How one table's rows combine.
    public enum Rule: Sendable, Equatable {
        /// Each shard holds its own items' rows, keyed by an INTEGER PRIMARY KEY (the item id):
        /// the merge holds them all in key order; a key in two shards is a duplicate shard.
        case partitioned
        /// Rows that name themselves (a `content_hash` column, a `cache_` table): shards that
        /// share an image both hold its row, which the merge keeps once.
        case union
        /// The same rows in every shard (a vocabulary): kept once, and checked to be equal.
        case shared
        /// Rows without a key, whose order means nothing (co-purchase edges; the content hash
        /// counts them as a set): each shard's appended.
        case appended
    }

    /// Rules for the tables that are not the default: a table with a `content_hash` column or
    /// a `cache_` name is `.union`, one with an INTEGER PRIMARY KEY `.partitioned`, one without
    /// a primary key `.appended`; any other table needs a rule here.
    public var rules: [String: Rule]
    /// Counts and meta entries that describe the whole output (distinct stored images, vectors)
    /// and so are not the sum of the shards': worked out from the merged tables by the same
    /// function the stage's run uses, so merged and whole meta agree.
    public var summary: @Sendable (Database) throws -> OutputSummary

    public init(rules: [String: Rule] = [:], summary: @escaping @Sendable (Database) throws -> OutputSummary = { _ in OutputSummary() }) {
        self.rules = rules
        self.summary = summary
    }

    /// The rule for `table` in `db` (of schema `schema`).
    func rule(for table: String, in db: Database, schema: String) throws -> Rule? {
        if let rule = rules[table] { return rule }
        let columns = try db.columns(in: table, in: schema)
        if table.hasPrefix("cache_") || columns.contains(where: { $0.name == ContentHash.contentHashColumn }) {
            return .union
        }
        // A set of rows by the content hash is appended; the two must agree.
        if ContentHash.isRowSet(columns) { return .appended }
        let keys = columns.filter { $0.primaryKeyIndex > 0 }
        return keys.count == 1 && keys[0].type.uppercased() == "INTEGER" ? .partitioned : nil
    }
}

/// Counts and meta entries a stage works out from its finished output.
public struct OutputSummary: Sendable, Equatable {
    public var counts: [String: Int]
    public var meta: [String: String]

    public init(counts: [String: Int] = [:], meta: [String: String] = [:]) {
        self.counts = counts
        self.meta = meta
    }
}
