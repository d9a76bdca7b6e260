import ArgumentParser
import Foundation
import LoomCore

/// `loom run Pipelines/X.yaml`: runs the pipeline's stages in order, skipping fresh ones.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a pipeline file, skipping stages whose inputs and settings are unchanged.")

    @Argument(help: "The pipeline file (Pipelines/*.yaml).")
    var pipeline: String

    @Option(help: "Start at this stage (earlier ones are left as they are).")
    var from: String?

    @Option(help: "Run only this stage.")
    var only: String?

    @Flag(help: "Run the selected stages even when they are fresh.")
    var force = false

    @Flag(help: "Say what would run and why, and change nothing.")
    var dryRun = false

    @Flag(help: "Retrain when train is stale, even if its retrain_every_days has not passed.")
    var retrain = false

    @Option(help: "Run each shardable stage (ingest, images, text, features, embed, index) as this many shards, merged before the next stage.")
    var shards: Int = 1

    @Option(help: "Where shard tasks run with --shards: local (processes of this machine).")
    var executor: ExecutorKind = .local

    @OptionGroup var global: GlobalOptions

    enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
        case local
    }

    func validate() throws {
        guard shards >= 1 else { throw ValidationError("--shards must be at least 1") }
        guard shards == 1 || global.shard.isWhole else { throw ValidationError("--shards runs the whole pipeline; it does not combine with --shard") }
    }

    func run() throws {
        try reportingErrors {
            let file = try PipelineFile(path: pipeline)
            let context = try global.context(work: file.work, out: file.out, pipelineSeed: file.seed, pipelineThreads: file.threads)
            let runner = try PipelineRunner(pipeline: file, stages: StageCatalog.all, context: context)
            let threads = context.threads > 0 ? context.threads : ProcessInfo.processInfo.activeProcessorCount
            let executor = LocalShardExecutor(
                executable: Self.executablePath, arguments: ["run", pipeline, "--no-progress", "--log-level", global.logLevel.rawValue]
                    + (global.seed.map { ["--seed", String($0)] } ?? []),
                threads: threads, logDirectory: context.workPath("logs"))
            let options = PipelineRunner.Options(from: from, only: only, force: force, dryRun: dryRun, retrain: retrain,
                                                 shards: shards, executor: executor)
            let steps = try runner.run(options) { line in
                print(line)
            }
            let ran = steps.filter(\.ran).count
            let skipped = steps.filter { !$0.ran && !$0.freshness.mustRun }.count
            let kept = steps.filter { !$0.ran && $0.freshness.mustRun && !dryRun }.count
            print("pipeline \(pipeline): \(ran) ran, \(skipped) skipped\(kept > 0 ? ", \(kept) kept stale" : "")\(dryRun ? " (dry run)" : "")")
        }
    }

    /// This loom executable, which the shard tasks run.
    static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
