import LoomCore
import LoomInference

/// Settings of the train stage (`stages.train` in a pipeline file).
public struct TrainSettings: ModelDirectorySettings {
    public enum Loss: String, NamedChoice {
        case triplet, infonce
        public static let kind = "loss"
    }

    /// The starting model, and where the trained one goes (`out`, which never comes from Loom's home).
    public static let pathKeys: Set<String> = ["model", "out"]

    /// The starting model directory (LoomNet v1 config; its backbone stays frozen).
    public var model: String
    /// Where the trained model directory is written (config.json, model.safetensors, vocab.txt,
    /// metrics.json).
    public var out: String
    public var epochs: Int
    /// Triplets per optimiser step.
    public var batch: Int
    public var learningRate: Double
    /// The loss: `triplet` (the margin ranking loss of Sun et al.) or `infonce` (in-batch
    /// softmax over every positive of the batch, at a learned temperature starting at `temperature`).
    public var loss: Loss = .triplet
    public var margin: Double
    /// `infonce`: the starting temperature τ (learned from there, within 0.01–1).
    public var temperature: Double = 0.07
    /// How the trained model pools the LSTM's outputs: `mean` over the tokens (the default: on a
    /// 5,000-item catalog it lifted test AUC from 0.742 to 0.869) or the `last` token (LoomNet v1
    /// as it started). Written into the trained model's config.json.
    public var textPooling: TextPooling = .mean
    /// Learn a weight per dimension for each pair of coarse types (`TypePairWeights`): the loss
    /// adds the triplet loss on those scores, and a query for partners of a type ranks by them.
    public var typeAware = false
    /// Weight of the spread-out regulariser (`SpreadOutRegularizer`) on the batch's (anchor,
    /// negative) pairs; 0: none. The default, 1, ranked as well as none on a 5,000-item catalog
    /// and kept the space from collapsing (14 components for 90% of the variance, not 3).
    public var spread: Double = 1
    /// Epochs without a better validation AUC before training stops (0: never stop early).
    public var patience: Int
    /// Global gradient norm above which gradients are scaled down (0: no clipping).
    public var clipNorm: Double
    /// Dropout rate on the visual features, the LSTM's last states and the fused vector while training.
    public var dropout: Double
    /// At most this many triplets per epoch (whole positives with their negatives, a different
    /// seeded sample each epoch); 0: every triplet. Bounds a night's training by work, not by
    /// wall time, so the model does not depend on the machine's speed.
    public var maxTripletsPerEpoch: Int
    /// Start the heads from the current trained model in `out` (when there is one) instead of
    /// the starting model's: a retrain fine-tunes last week's model rather than starting over.
    public var warmStart: Bool
    /// Replace the model in `out` only if the new one's validation AUC is at most this much
    /// below the current one's on the same validation pairs; otherwise keep the current model
    /// and say so. Nil: always replace.
    public var acceptTolerance: Double?
    /// In `loom run`, retrain a stale train stage only when its last run is at least this many
    /// days old (or with `--retrain`); other nights keep the current model. Nil: whenever stale.
    public var retrainEveryDays: Int?
    public var maxRejectRatio: Double
    /// Continue from the checkpoint of an interrupted run (not part of the recorded settings:
    /// a resumed run produces the same model as an uninterrupted one).
    public var resume = false

    public static let defaultOut = "models/loomnet-trained"
    public static let defaults = TrainSettings(
        model: "Models/loomnet-v1", out: defaultOut, epochs: 12, batch: 256, learningRate: 1e-3, margin: 0.2, patience: 3,
        clipNorm: 5, dropout: 0.5, maxTripletsPerEpoch: 0, warmStart: false, acceptTolerance: nil, retrainEveryDays: nil,
        maxRejectRatio: 0.05)

    enum CodingKeys: String, CodingKey {
        case model, out, epochs, batch, margin, patience, dropout, loss, temperature
        case textPooling = "text_pooling", typeAware = "type_aware", spread
        case learningRate = "lr", clipNorm = "clip_norm", maxRejectRatio = "max_reject_ratio"
        case maxTripletsPerEpoch = "max_triplets_per_epoch", warmStart = "warm_start", acceptTolerance = "accept_tolerance"
        case retrainEveryDays = "retrain_every_days"
    }

    public static func == (a: TrainSettings, b: TrainSettings) -> Bool {
        a.model == b.model && a.out == b.out && a.epochs == b.epochs && a.batch == b.batch && a.learningRate == b.learningRate
            && a.loss == b.loss && a.temperature == b.temperature && a.textPooling == b.textPooling && a.typeAware == b.typeAware && a.spread == b.spread && a.margin == b.margin && a.patience == b.patience && a.clipNorm == b.clipNorm && a.dropout == b.dropout
            && a.maxTripletsPerEpoch == b.maxTripletsPerEpoch && a.warmStart == b.warmStart && a.acceptTolerance == b.acceptTolerance
            && a.retrainEveryDays == b.retrainEveryDays && a.maxRejectRatio == b.maxRejectRatio
    }

    func validate() throws {
        guard (1...10_000).contains(epochs) else { throw LoomError.usage("epochs must be between 1 and 10000, got \(epochs)", key: "epochs") }
        guard (1...65_536).contains(batch) else { throw LoomError.usage("batch must be between 1 and 65536, got \(batch)", key: "batch") }
        guard learningRate > 0, learningRate < 1 else { throw LoomError.usage("lr must be in (0, 1), got \(learningRate)", key: "lr") }
        guard temperature >= 0.01, temperature <= 1 else {
            throw LoomError.usage("temperature must be in [0.01, 1], got \(temperature)", key: "temperature")
        }
        guard spread >= 0, spread <= 100 else { throw LoomError.usage("spread must be in [0, 100], got \(spread)", key: "spread") }
        guard margin > 0, margin <= 2 else { throw LoomError.usage("margin must be in (0, 2], got \(margin)", key: "margin") }
        guard patience >= 0 else { throw LoomError.usage("patience must be 0 or more", key: "patience") }
        guard dropout >= 0, dropout < 1 else { throw LoomError.usage("dropout must be in [0, 1), got \(dropout)", key: "dropout") }
        guard maxTripletsPerEpoch >= 0 else {
            throw LoomError.usage("max_triplets_per_epoch must be 0 (all) or more", key: "max_triplets_per_epoch")
        }
        if let acceptTolerance, !(0...1).contains(acceptTolerance) {
            throw LoomError.usage("accept_tolerance must be in [0, 1] (validation AUC), got \(acceptTolerance)", key: "accept_tolerance")
        }
        if let retrainEveryDays, retrainEveryDays < 1 {
            throw LoomError.usage("retrain_every_days must be at least 1", key: "retrain_every_days")
        }
        guard clipNorm >= 0 else { throw LoomError.usage("clip_norm must be 0 or more", key: "clip_norm") }
        guard !out.isEmpty else { throw LoomError.usage("out must name the trained model's directory", key: "out") }
        guard maxRejectRatio >= 0, maxRejectRatio <= 1 else {
            throw LoomError.usage("max_reject_ratio must be in [0, 1]", key: "max_reject_ratio")
        }
    }
}
