import ArgumentParser
import LoomCore
import LoomIngest

/// `loom ingest` / `loom-ingest`: catalog dumps → work/catalog.sqlite.
public struct IngestCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read Amazon catalog dumps (2014/2018/2023, .gz, JSON arrays) into work/catalog.sqlite.",
        version: LoomHome.versionLine)

    @Option(name: .long, parsing: .upToNextOption, help: "Catalog files, in order (item ids follow it).")
    var catalog: [String] = []

    @Option(name: .long, help: "Image folder (repeatable), searched for <asin>.jpg|.jpeg|.png or the URL's file name.")
    var images: [String] = []

    @OptionGroup var workOptions: WorkOptions

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        let settings = IngestSettings(catalog: catalog, images: images, maxRejectRatio: rejectRatio.ratio(or: IngestSettings.defaults.maxRejectRatio))
        try StageCommandRunner.run(IngestStage(), settings: settings, work: workOptions.work, global: global)
    }
}
