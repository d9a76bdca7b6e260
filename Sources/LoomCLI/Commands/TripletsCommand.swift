import ArgumentParser
import LoomCore
import LoomFormats
import LoomTriplets

/// `loom triplets` / `loom-triplets`: co-purchase edges → weighted training triplets.
public struct TripletsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "triplets", abstract: "Mine also-bought pairs into weighted triplets with an item-disjoint split (work/triplets.sqlite).",
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "Edge kinds that make positives, comma-separated (\(EdgeKind.names.joined(separator: ", "))).")
    var kinds: String = TripletSettings.defaults.kinds.map(\.rawValue).joined(separator: ",")

    @Option(help: "Weight factors multiplied together: \(PairWeight.names.joined(separator: ", ")).")
    var weights: String = TripletSettings.defaults.weights.map(\.rawValue).joined(separator: ",")

    @Option(help: "Negatives per positive.")
    var k: Int = TripletSettings.defaults.negativesPerPositive

    @Option(help: "compatible_type (negatives of the positive's type) or random.")
    var negatives: TripletSettings.NegativeStrategy = TripletSettings.defaults.negatives

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = TripletSettings.defaults
        settings.kinds = try EdgeKind.flagValues(kinds, flag: "--kinds")
        settings.weights = try PairWeight.flagValues(weights, flag: "--weights")
        settings.negativesPerPositive = k
        settings.negatives = negatives
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(TripletStage(), settings: settings, work: workOptions.work, global: global)
    }
}
