import ArgumentParser
import Foundation
import LoomCore
import LoomFormats
import LoomTrain

/// `loom eval`: a model against the baselines on the held-out split.
public struct EvalCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "AUC, MRR, Recall@k and FITB of a model and of the baselines on a held-out split.",
        discussion: """
            Baselines, scored by the same code: random, popularity (training pairs), image only (cosine of the pretrained \
            backbone features), text only (TF-IDF cosine), and the untrained starting model.
            """,
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The model directory to evaluate.")
    var model: String = TrainSettings.defaultOut

    @Option(help: "The untrained starting model (a baseline).")
    var untrained: String = TrainSettings.defaults.model

    @Option(help: "The split to score.")
    var split: ItemSplit.Part = .test

    @Option(help: "Also write the results as JSON to this file.")
    var json: String?

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        try requiringVectorUnits {
            let context = try global.context(work: workOptions.work, out: "out")
            let rows = try ModelEvaluation.run(work: workOptions.work, model: model, untrained: LoomHome.resolve(untrained), split: split, seed: context.seed,
                                               threads: context.threads)
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

    struct EvalDocument: Encodable {
        var split: String
        var model: String
        var rows: [ModelEvaluation.Row]
    }
}
