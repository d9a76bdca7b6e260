import ArgumentParser
import Foundation
import Logging
import LoomCore

/// Flags every Loom command accepts.
public struct GlobalOptions: ParsableArguments {
    @Option(help: "Worker threads (0 = all cores). Results do not depend on it.")
    public var threads: Int = 0

    @Option(help: "Seed for sampling, splits and initialisation.")
    public var seed: UInt64?

    @Option(help: "The least severe log messages shown.")
    public var logLevel: Logger.Level = .info

    @Option(help: ArgumentHelp("Process only shard i of n (i/n, for example 0/4; default 0/1, the whole).", valueName: "i/n"),
            transform: { try Shard(parsing: $0) })
    public var shard: Shard = .whole

    @Flag(help: "Never draw the progress line, even on a terminal.")
    public var noProgress = false

    public init() {}

    public func validate() throws {
        guard threads >= 0 else { throw ValidationError("--threads must be 0 (all cores) or positive") }
    }

    /// The stage context for a work directory; pipeline values apply where no flag was given.
    func context(work: String, out: String = "out", pipelineSeed: UInt64? = nil, pipelineThreads: Int? = nil) throws -> StageContext {
        var logger = Logger(label: "loom")
        logger.logLevel = logLevel
        let threadCount = threads > 0 ? threads : (pipelineThreads ?? 0)
        return StageContext(workDirectory: work, outDirectory: out, threads: threadCount,
                            seed: seed ?? pipelineSeed ?? 1, shard: shard, logger: logger,
                            showProgress: !noProgress && isatty(2) == 1)
    }
}

/// Runs a command body on a machine with the vector units Loom is built for. Its errors go on
/// to `LoomEntry`, which reports each with its status from the README's table.
func requiringVectorUnits(_ body: () throws -> Void) throws {
    try CPUFeatures.requireVectorUnits()
    try body()
}
