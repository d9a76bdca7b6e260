import ArgumentParser
import LoomCore
import LoomInference
import LoomTrain

/// `loom train` / `loom-train`: learn LoomNet's heads from the triplets into a model directory.
public struct TrainCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train LoomNet's heads on the co-purchase triplets (triplet ranking loss or in-batch softmax).",
        discussion: """
            The backbone stays frozen and runs once per image. Writes the model directory given by --out (config.json, \
            model.safetensors, vocab.txt, metrics.json) and work/train.sqlite; a checkpoint after every epoch lets \
            --resume continue an interrupted run to the same result.
            """,
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The starting model directory.")
    var model: String = TrainSettings.defaults.model

    @Option(help: "Where to write the trained model directory.")
    var out: String = TrainSettings.defaultOut

    @Option(help: "Most epochs to run.")
    var epochs: Int = TrainSettings.defaults.epochs

    @Option(help: "Triplets per optimiser step.")
    var batch: Int = TrainSettings.defaults.batch

    @Option(help: "Adam learning rate.")
    var lr: Double = TrainSettings.defaults.learningRate

    @Option(help: "The loss: triplet (margin ranking) or infonce (in-batch softmax, learned temperature).")
    var loss: TrainSettings.Loss = TrainSettings.defaults.loss

    @Option(help: "infonce: the starting temperature (learned from there, within 0.01-1).")
    var temperature: Double = TrainSettings.defaults.temperature

    @Option(help: "How the text tower pools the LSTM's outputs: mean (over the tokens) or last (token).")
    var textPooling: TextPooling = TrainSettings.defaults.textPooling

    @Flag(help: "Learn a weight per dimension for each pair of coarse types; partner queries rank by those scores.")
    var typeAware = false

    @Option(help: "Weight of the spread-out regulariser on (anchor, negative) cosines (0: none).")
    var spread: Double = TrainSettings.defaults.spread

    @Option(help: "Triplet margin (cosine).")
    var margin: Double = TrainSettings.defaults.margin

    @Option(help: "Stop after this many epochs without a better validation AUC (0: never).")
    var patience: Int = TrainSettings.defaults.patience

    @Option(help: "Clip the global gradient norm to this (0: no clipping).")
    var clipNorm: Double = TrainSettings.defaults.clipNorm

    @Option(help: "At most this many triplets per epoch, a seeded sample of the training positives each epoch (0: all).")
    var maxTripletsPerEpoch: Int = TrainSettings.defaults.maxTripletsPerEpoch

    @Flag(help: "Start from the trained model already in --out (when there is one) instead of the starting model.")
    var warmStart = false

    @Option(help: "Keep the model already in --out unless the new one's validation AUC is at most this much below its own.")
    var acceptTolerance: Double?

    @Option(help: "Dropout rate on the visual features, the LSTM's last states and the fused vector.")
    var dropout: Double = TrainSettings.defaults.dropout

    @Flag(help: "Continue from the checkpoint of an interrupted run.")
    var resume = false

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = TrainSettings.defaults
        (settings.model, settings.out, settings.epochs, settings.batch) = (model, out, epochs, batch)
        (settings.learningRate, settings.margin, settings.patience) = (lr, margin, patience)
        (settings.clipNorm, settings.dropout, settings.resume) = (clipNorm, dropout, resume)
        (settings.maxTripletsPerEpoch, settings.warmStart, settings.acceptTolerance) = (maxTripletsPerEpoch, warmStart, acceptTolerance)
        (settings.loss, settings.temperature, settings.textPooling, settings.typeAware) = (loss, temperature, textPooling, typeAware)
        settings.spread = spread
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(TrainStage(), settings: settings, work: workOptions.work, global: global)
    }
}
