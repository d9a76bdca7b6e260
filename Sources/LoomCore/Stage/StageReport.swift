import Foundation

/// The report each stage run writes to `work/reports/<stage>.json` and summarises on one line.
public struct StageReport: Codable, Sendable, Equatable {
    public var stage: String
    public var shard: String
    public var status: String
    public var records: Int
    public var counts: [String: Int]
    /// Stage-specific figures that are not counts (distributions, top items); also in `meta`.
    public var details: [String: String] = [:]
    public var rejects: Int
    public var rejectsByReason: [String: Int]
    public var rejectRatio: Double
    public var seconds: Double
    public var throughput: Double
    public var unit: String
    /// Input megabytes (10^6 bytes) per second, for stages that read files.
    public var megabytesPerSecond: Double?
    public var threads: Int
    public var output: String
    public var started: String
    public var finished: String
    /// The stage's real work when it is not one unit per record (train's triplets).
    public var work: StageWork?

    enum CodingKeys: String, CodingKey {
        case stage, shard, status, records, counts, details, rejects, work
        case rejectsByReason = "rejects_by_reason"
        case rejectRatio = "reject_ratio"
        case seconds, throughput, unit, threads, output, started, finished
        case megabytesPerSecond = "megabytes_per_second"
    }

    /// "ingest: 312 records in 0.41 s (761 records/s, 2 threads), 9 rejected (duplicate_asin 1, …) → work/catalog.sqlite"
    public var summaryLine: String {
        var line = "\(stage)"
        if shard != "0/1" { line += " [shard \(shard)]" }
        let threadCount = "\(threads) thread\(threads == 1 ? "" : "s")"
        if let work {
            // "train: 38832 triplets in 60.10 s (646 triplets/s, 2 threads); 307 items in 65.34 s, …"
            line += ": \(work.count) \(work.unit) in \(String(format: "%.2f", work.seconds)) s"
            line += " (\(String(format: "%.0f", work.perSecond)) \(work.unit)/s, \(threadCount)); \(records) \(unit) in \(String(format: "%.2f", seconds)) s"
        } else {
            line += ": \(records) \(unit) in \(String(format: "%.2f", seconds)) s"
            let rate = megabytesPerSecond.map { String(format: ", %.1f MB/s", $0) } ?? ""
            line += " (\(String(format: "%.0f", throughput)) \(unit)/s\(rate), \(threadCount))"
        }
        if rejects > 0 {
            let reasons = rejectsByReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            line += ", \(rejects) rejected (\(reasons))"
        } else {
            line += ", 0 rejected"
        }
        if !counts.isEmpty {
            line += "; " + counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        }
        line += status == "ok" ? " → \(output)" : " [\(status)]"
        return line
    }

    func write(toDirectory directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = (directory as NSString).appendingPathComponent("\(stage).json")
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
