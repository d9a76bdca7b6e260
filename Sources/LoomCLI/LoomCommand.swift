import ArgumentParser
import LoomCore

/// The `loom` driver: one subcommand per stage plus the pipeline tools.
public struct LoomCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Build a fashion-compatibility embedding index from a product catalog.",
        discussion: "Exit codes: 0 ok, 64 usage, 65 data rejected, 66 input missing, 70 internal, 73 cannot create output, 75 locked.",
        version: LoomHome.versionLine,
        subcommands: [RunCommand.self, MergeCommand.self, StatusCommand.self, IngestCommand.self, FetchCommand.self, ImagesCommand.self, TextCommand.self, TripletsCommand.self, FeaturesCommand.self, TrainCommand.self, EvalCommand.self, EmbedCommand.self, IndexCommand.self, QueryCommand.self, ReportCommand.self, ForwardCommand.self, TokenizeCommand.self, DecodeCommand.self, SampleDataCommand.self])

    public init() {}
}
