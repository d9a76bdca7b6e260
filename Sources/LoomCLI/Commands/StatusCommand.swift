import ArgumentParser
import LoomCore

/// `loom status --work DIR`: what each stage produced, when, from which inputs, and rejects.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show, for each stage, whether its output is fresh, stale or missing, and why.")

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "Judge freshness against this pipeline file's settings (default: the recorded ones).")
    var pipeline: String?

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try requiringVectorUnits {
            let file = try pipeline.map { try PipelineFile(path: $0) }
            let context = try global.context(work: file?.work ?? workOptions.work, pipelineSeed: file?.seed)
            let status = try WorkStatus(stages: StageCatalog.all, context: context, pipeline: file)
            if status.entries.isEmpty {
                print("no stages are built into this Loom yet")
            } else {
                print(status.text)
            }
        }
    }
}
