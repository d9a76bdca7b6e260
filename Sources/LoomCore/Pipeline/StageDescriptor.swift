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
        recordedFreshness = { runner in try runner.freshnessOfRecordedSettings(stage) }
        deferral = { runner, pipeline in
            guard let recorded = try? StageMeta.read(path: runner.outputPath(of: S.self)) else { return nil }
            return stage.deferral(try pipeline.settings(S.Settings.self, forStage: S.name), recorded: recorded, context: runner.context)
        }
    }
}
