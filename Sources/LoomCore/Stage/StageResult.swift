/// What a stage's `run` returns: how many input records it looked at (the denominator of the
/// reject ratio), its own counts for the report, and what its throughput is measured in.
public struct StageResult: Sendable {
    public var records: Int
    public var counts: [String: Int]
    public var unit: String
    /// Input bytes read, when the stage reads files; the report then gives MB/s.
    public var bytes: Int?
    /// Stage-specific entries for the output's `meta` table (for example `vocab_hash`).
    public var meta: [String: String] = [:]
    /// The work the stage really does, when it is not one unit per record (train: triplets over
    /// its epochs, not items): the summary line leads with it.
    public var work: StageWork?

    public init(records: Int, counts: [String: Int] = [:], unit: String = "records", bytes: Int? = nil) {
        self.records = records
        self.counts = counts
        self.unit = unit
        self.bytes = bytes
    }
}

/// A stage's real work: how many units in how many seconds (its own part of the stage's time).
public struct StageWork: Codable, Sendable, Equatable {
    public var count: Int
    public var unit: String
    public var seconds: Double

    public init(count: Int, unit: String, seconds: Double) {
        self.count = count
        self.unit = unit
        self.seconds = seconds
    }

    public var perSecond: Double { Double(count) / max(seconds, 1e-9) }
}
