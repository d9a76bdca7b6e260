import Foundation
import Logging

/// What every stage gets besides its settings: where to work, how many threads, the seed and
/// the shard, and a logger carrying `stage` and `shard` metadata.
public struct StageContext: Sendable {
    public var workDirectory: String
    public var outDirectory: String
    /// The product's file name in `outDirectory` when not the stage's default (`--out FILE`).
    public var productFileName: String?
    /// Worker threads; results never depend on this number.
    public var threads: Int
    public var seed: UInt64
    public var shard: Shard
    public var logger: Logger
    /// Whether to draw a progress line (stderr is a terminal and not disabled).
    public var showProgress: Bool
    /// Content hashes of input files as they are now, shared with the runner: `loom run` hashes
    /// inputs to decide freshness, and a stage that reads a large file whole can look its hash up
    /// here (`knownHash`) or record the hash it computed while reading (`record`), so that no
    /// file is read twice for `meta`.
    public var inputHashes = InputHashCache()

    public init(workDirectory: String, outDirectory: String = "out", threads: Int = 0, seed: UInt64 = 1,
                shard: Shard = .whole, logger: Logger = Logger(label: "loom"), showProgress: Bool = isatty(2) == 1) {
        self.workDirectory = workDirectory
        self.outDirectory = outDirectory
        self.threads = threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount
        self.seed = seed
        self.shard = shard
        self.logger = logger
        self.showProgress = showProgress
    }

    /// The path of a file inside the work directory.
    public func workPath(_ name: String) -> String {
        (workDirectory as NSString).appendingPathComponent(name)
    }

    public func progress(_ label: String, total: Int?) -> TerminalProgress {
        TerminalProgress(label: label, total: total, enabled: showProgress)
    }
}
