/// A stage with its settings type erased, so a pipeline can hold the ordered list of all stages.
public struct StageDescriptor: Sendable {
    public let name: String
    public let outputFileName: String
    let validate: @Sendable (PipelineFile) throws -> Void
    let freshness: @Sendable (StageRunner, PipelineFile) throws -> Freshness
    let run: @Sendable (StageRunner, PipelineFile) throws -> StageReport
    let recordedFreshness: @Sendable (StageRunner) throws -> Freshness
    /// The stage's reason to keep its stale output (`Stage.deferral`), nil without an output.
    let deferral: @Sendable (StageRunner, PipelineFile) throws -> String?
    /// The earlier stages whose outputs it reads, with the pipeline's settings.
    let reads: @Sendable (StageRunner, PipelineFile) throws -> [String]
    /// Whether the stage runs as shards that `loom merge` combines (`Stage.shardMerge`).
    public let shardable: Bool
    /// Merges the stage's shard outputs (`ShardMerger.merge`): count (nil: the one present), keep shards.
    public let merge: @Sendable (StageContext, Int?, Bool) throws -> StageReport

    public init<S: Stage>(_ stage: S) {
        name = S.name
        outputFileName = S.outputFileName
        validate = { pipeline in _ = try pipeline.settings(S.Settings.self, forStage: S.name) }
        freshness = { runner, pipeline in
            try runner.freshness(stage, settings: try pipeline.settings(S.Settings.self, forStage: S.name))
        }
        run = { runner, pipeline in
            try runner.run(stage, settings: try pipeline.settings(S.Settings.self, forStage: S.name))
        }
        shardable = S.shardMerge != nil
        merge = { context, count, keep in try ShardMerger(context: context).merge(stage, count: count, keepShards: keep) }
        recordedFreshness = { runner in try runner.freshnessOfRecordedSettings(stage) }
        reads = { runner, pipeline in
            try stage.inputs(try pipeline.settings(S.Settings.self, forStage: S.name), context: runner.context).compactMap { input in
                if case .stage(let name, _) = input { name } else { nil }
            }
        }
        deferral = { runner, pipeline in
            guard let recorded = try? StageMeta.read(path: runner.outputPath(of: S.self)) else { return nil }
            return stage.deferral(try pipeline.settings(S.Settings.self, forStage: S.name), recorded: recorded, context: runner.context)
        }
    }
}
