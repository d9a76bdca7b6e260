import ArgumentParser
import Foundation
import LoomCore
import LoomFormats
import LoomSampleData
import LoomTrain

/// `loom eval`: a model against the baselines on the held-out split.
public struct EvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "AUC, MRR, Recall@k and FITB of a model and of the baselines on a held-out split.",
        discussion: """
            Baselines, scored by the same code: random, popularity (training pairs), image only (cosine of the pretrained \
            backbone features), text only (TF-IDF cosine), and the untrained starting model. For a catalog made by \
            `loom sample-data`, --hidden-rules adds the generator's outfit rules as last rows: what a perfect model \
            of compatibility scores, the ceiling of each metric for such a model (ties in expectation, then one seeded order \
            of ties).
            """,
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The model directory to evaluate.")
    var model: String = TrainSettings.defaultOut

    @Option(help: "The untrained starting model (a baseline).")
    var untrained: String = TrainSettings.defaults.model

    @Option(help: "The split to score.")
    var split: ItemSplit.Part = .test

    @Flag(help: "The catalog was made by `loom sample-data`: add rows scored by its hidden outfit rules (1 for a pair they allow, 0 otherwise), what a perfect model of compatibility scores: with ties in expectation, and with one seeded order of them.")
    var hiddenRules = false

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        try requiringVectorUnits {
            let context = try global.context(work: workOptions.work, out: "out")
            // The ceiling ranks ties in expectation; the second row draws one order of them, as a
            // real model at the ceiling would, so its intervals compare with the other rows'.
            let tieOrder = Scorers.random(seed: context.seed ^ 0x7469_6573)
            var rules: HiddenRuleScorer?
            let extra = hiddenRules ? [
                ModelEvaluation.ExtraRow(name: "hidden outfit rules (ceiling)") { data in
                    let scorer = try hiddenRuleScorer(data)
                    rules = scorer
                    return .init(score: scorer.score, vectors: scorer.idealVectors())
                },
                ModelEvaluation.ExtraRow(name: "hidden outfit rules, ties drawn") { data in
                    let scorer = try rules ?? hiddenRuleScorer(data)
                    return .init(score: { a, b in scorer.score(a, b) + 0.5 * tieOrder(a, b) })
                },
            ] : []
            let rows = try ModelEvaluation.run(work: workOptions.work, model: model, untrained: LoomHome.resolve(untrained), split: split, seed: context.seed,
                                               threads: context.threads, extra: extra)
            print(ModelEvaluation.table(rows, split: split))
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                var data = try encoder.encode(EvalDocument(split: split.rawValue, model: model, rows: rows))
                data.append(0x0A)
                guard FileManager.default.createFile(atPath: json, contents: data) else {
                    throw LoomError.cannotCreateOutput(path: json, reason: "cannot write the JSON results")
                }
            }
        }
    }

    /// The generator's rules over the evaluated items' titles; refuses a catalog whose titles it
    /// cannot read (not made by `loom sample-data`), where the rows would mean nothing.
    func hiddenRuleScorer(_ data: TrainingData) throws -> HiddenRuleScorer {
        let path = (workOptions.work as NSString).appendingPathComponent(StageOutputFile.catalog.fileName)
        let catalog = try StageOutputReader.open(path: path)
        defer { try? catalog.close() }
        var titles: [Int64: String] = [:]
        try CatalogReader.forEachChunk(catalog) { items in
            for item in items { titles[item.id] = item.title }
        }
        let scorer = HiddenRuleScorer(titles: data.ids.map { titles[$0] })
        guard scorer.readableTitles * 2 >= data.count else {
            throw LoomError.usage("--hidden-rules: only \(scorer.readableTitles) of \(data.count) titles in \(path) read as `loom sample-data` writes them; this catalog was not generated", key: "hidden-rules")
        }
        return scorer
    }

    struct EvalDocument: Encodable {
        var split: String
        var model: String
        var rows: [ModelEvaluation.Row]
    }
}
