/// One step of the pipeline. A stage reads only earlier stages' outputs and files, writes only its
/// own SQLite output, and is run through `StageRunner`, which makes the write atomic, records
/// `meta`, checks the reject ratio and writes the report.
public protocol Stage: Sendable {
    associatedtype Settings: StageSettings

    /// The stage name used on the command line, in pipeline files and in `meta.stage`.
    static var name: String { get }
    /// The output file name inside the work directory (for example `catalog.sqlite`).
    static var outputFileName: String { get }
    /// Whether the output is the product, written to the out directory (`out/index.sqlite`),
    /// rather than an intermediate in the work directory. Default: false.
    static var writesProduct: Bool { get }

    /// The inputs whose content decides freshness, for these settings.
    func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput]

    /// Does the work: creates its tables in `output.database`, records rejects in
    /// `output.rejects`, and returns its counts. Throwing leaves the previous output in place.
    func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult

    /// Files the stage writes besides its SQLite output (a trained model directory) that are
    /// not there now: a stage whose side product was deleted is stale. Default: none.
    func missingProducts(_ settings: Settings, context: StageContext) -> [String]

    /// Why `loom run` may keep this stage's output although it is stale (train retrains only
    /// every few days, so a night never waits on it), or nil to rerun it. `recorded` is the
    /// output's meta. `loom run --retrain` reruns it anyway. Default: nil.
    func deferral(_ settings: Settings, recorded: StageMeta, context: StageContext) -> String?

    /// How the outputs of `--shard i/n` runs combine into the whole output (`loom merge`), or nil
    /// for a stage that runs whole only (triplets, train). Default: nil.
    static var shardMerge: ShardMerge? { get }
}

extension Stage {
    public static var writesProduct: Bool { false }
    public func missingProducts(_ settings: Settings, context: StageContext) -> [String] { [] }
    public func deferral(_ settings: Settings, recorded: StageMeta, context: StageContext) -> String? { nil }
    public static var shardMerge: ShardMerge? { nil }
}
