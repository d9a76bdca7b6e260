import ArgumentParser
import LoomCore
import LoomTriplets

/// `loom triplets` / `loom-triplets`: co-purchase edges → weighted training triplets.
public struct TripletsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "triplets", abstract: "Mine also-bought pairs into weighted triplets with an item-disjoint split (work/triplets.sqlite).",
        version: LoomVersion.current)

    @Option(help: "The work directory (reads catalog.sqlite).")
    var work: String = "work"

    @Option(help: "Edge kinds that make positives, comma-separated (also_bought, bought_together, also_viewed).")
    var kinds: String = "also_bought,bought_together"

    @Option(help: "Weight factors multiplied together: uniform, frequency, reciprocal, idf.")
    var weights: String = "reciprocal,idf"

    @Option(help: "Negatives per positive.")
    var k: Int = 4

    @Option(help: "compatible_type (negatives of the positive's type) or random.")
    var negatives: String = "compatible_type"

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        guard let strategy = TripletSettings.NegativeStrategy(rawValue: negatives) else {
            throw ValidationError("--negatives must be compatible_type or random")
        }
        var settings = TripletSettings.defaults
        settings.kinds = kinds.split(separator: ",").map(String.init)
        settings.weights = weights.split(separator: ",").map(String.init)
        settings.negativesPerPositive = k
        settings.negatives = strategy
        try StageCommandRunner.run(TripletStage(), settings: settings, work: work, global: global)
    }
}
