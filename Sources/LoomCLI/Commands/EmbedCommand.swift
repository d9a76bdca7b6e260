import ArgumentParser
import LoomCore
import LoomEmbed

/// `loom embed` / `loom-embed`: images and token ids → fused embeddings in work/embeddings.sqlite.
public struct EmbedCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "embed", abstract: "Run LoomNet over every item's image and text into work/embeddings.sqlite.",
        discussion: "An item without an image (or text) gets a zero vector for that tower; both cases are counted in the report.",
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "Model directory: config.json and model.safetensors (or a starting model naming its backbone).")
    var model: String = EmbedSettings.defaultModel

    @Option(help: "Items per forward pass (results do not depend on it).")
    var batch: Int = EmbedSettings.defaults.batch

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = EmbedSettings.defaults
        (settings.model, settings.batch) = (model, batch)
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(EmbedStage(), settings: settings, work: workOptions.work, global: global)
    }
}
