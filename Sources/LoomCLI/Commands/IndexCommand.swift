import ArgumentParser
import Foundation
import LoomCore
import LoomIndex

/// `loom index` / `loom-index`: embeddings and catalog → the product, out/index.sqlite.
public struct IndexCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Write the searchable index (items and unit vectors) that any SQLite client can read.",
        discussion: "Written to a temporary file, checked (counts, dimensions, norms, integrity) and renamed into place.",
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The index file to write.")
    var out: String = "out/index.sqlite"

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        let directory = (out as NSString).deletingLastPathComponent
        var settings = IndexSettings.defaults
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(IndexStage(), settings: settings, work: workOptions.work, global: global,
                                   out: directory.isEmpty ? "." : directory, productFileName: (out as NSString).lastPathComponent)
    }
}
