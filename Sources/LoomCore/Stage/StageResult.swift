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

    public init(records: Int, counts: [String: Int] = [:], unit: String = "records", bytes: Int? = nil) {
        self.records = records
        self.counts = counts
        self.unit = unit
        self.bytes = bytes
    }
}
