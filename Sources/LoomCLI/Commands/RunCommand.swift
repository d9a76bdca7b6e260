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

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try reportingErrors {
            let file = try PipelineFile(path: pipeline)
            let context = try global.context(work: file.work, out: file.out, pipelineSeed: file.seed, pipelineThreads: file.threads)
            let runner = try PipelineRunner(pipeline: file, stages: StageCatalog.all, context: context)
            let steps = try runner.run(PipelineRunner.Options(from: from, only: only, force: force, dryRun: dryRun, retrain: retrain)) { line in
                print(line)
            }
            let ran = steps.filter(\.ran).count
            let skipped = steps.filter { !$0.ran && !$0.freshness.mustRun }.count
            let kept = steps.filter { !$0.ran && $0.freshness.mustRun && !dryRun }.count
            print("pipeline \(pipeline): \(ran) ran, \(skipped) skipped\(kept > 0 ? ", \(kept) kept stale" : "")\(dryRun ? " (dry run)" : "")")
        }
    }
}
