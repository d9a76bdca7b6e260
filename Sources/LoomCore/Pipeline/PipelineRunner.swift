import Foundation
import Logging

/// `loom run PIPELINE`: runs the pipeline's stages in order, skipping those that are fresh.
public struct PipelineRunner: Sendable {
    public struct Options: Sendable {
        public var from: String?
        public var only: String?
        public var force = false
        public var dryRun = false
        /// Rerun stale stages that would keep their output (`Stage.deferral`: train).
        public var retrain = false
        /// Run each shardable stage as this many shards through `executor`, then merge them.
        public var shards = 1
        public var executor: (any ShardExecutor)?
        public init(from: String? = nil, only: String? = nil, force: Bool = false, dryRun: Bool = false, retrain: Bool = false,
                    shards: Int = 1, executor: (any ShardExecutor)? = nil) {
            self.from = from
            self.only = only
            self.force = force
            self.dryRun = dryRun
            self.retrain = retrain
            self.shards = shards
            self.executor = executor
        }
    }

    /// What happened to one stage.
    public struct Step: Sendable, Equatable {
        public var stage: String
        public var freshness: Freshness
        public var ran: Bool
        public var report: StageReport?
        /// In a dry run: whether the stage would run.
        public var wouldRun = false
    }

    public let pipeline: PipelineFile
    public let stages: [StageDescriptor]
    public let context: StageContext

    /// `stages` is every stage Loom knows, in pipeline order; the file picks among them.
    public init(pipeline: PipelineFile, stages: [StageDescriptor], context: StageContext) throws {
        let known = stages.map(\.name)
        for name in pipeline.stageNames where !known.contains(name) {
            throw LoomError.usage("unknown stage (known: \(known.joined(separator: ", ")))\(pipeline.line(of: "stages.\(name)").map { " at line \($0)" } ?? "")",
                                  file: pipeline.path, key: "stages.\(name)")
        }
        self.pipeline = pipeline
        self.stages = stages.filter { pipeline.stageNames.contains($0.name) }
        self.context = context
    }

    /// The stages `--from` (that stage and the later ones) or `--only` select, in pipeline order.
    public func selected(from: String?, only: String?) -> [StageDescriptor] {
        if let only { return stages.filter { $0.name == only } }
        guard let from, let start = stages.firstIndex(where: { $0.name == from }) else { return stages }
        return Array(stages[start...])
    }

    /// Why a stale stage may wait although it has no deferral of its own: every later stage of
    /// this run that reads its output keeps its own stale output (triplets, read by train alone,
    /// waits for the night train retrains). Nil when some reader would run, or nothing reads it.
    func readersKeep(_ stage: StageDescriptor, among selected: [StageDescriptor], runner: StageRunner) throws -> String? {
        guard let position = selected.firstIndex(where: { $0.name == stage.name }) else { return nil }
        let readers = try selected[(position + 1)...].filter { try $0.reads(runner, pipeline).contains(stage.name) }
        guard !readers.isEmpty else { return nil }
        for reader in readers where try reader.deferral(runner, pipeline) == nil { return nil }
        let names = readers.map(\.name).joined(separator: ", ")
        return "only \(names) read\(readers.count == 1 ? "s" : "") it, and \(readers.count == 1 ? "it waits" : "they wait") too"
    }

    /// Runs the selected stages. `report` is called with a line for each stage as it is decided.
    public func run(_ options: Options, report: (String) -> Void) throws -> [Step] {
        for name in [options.from, options.only].compactMap({ $0 }) where !stages.contains(where: { $0.name == name }) {
            throw LoomError.usage("stage '\(name)' is not in this pipeline (it has: \(stages.map(\.name).joined(separator: ", ")))",
                                  file: pipeline.path, key: options.from == name ? "--from" : "--only")
        }
        // Validate every stage's settings before running any: a typo in the last stage should
        // not cost an hour of the first.
        for stage in stages { try stage.validate(pipeline) }

        // A whole run holds the work directory; a shard task (or a run started by one) only the
        // stage and shard it writes, so shards of a stage run side by side.
        let holdsDirectory = !options.dryRun && context.shard.isWhole && !WorkLock.heldByRun
        let lock = holdsDirectory ? try WorkLock(workDirectory: context.workDirectory) : nil
        defer { lock?.release() }
        let runner = StageRunner(context: context)
        let selected = selected(from: options.from, only: options.only)
        var forcedByUpstream = false
        var steps: [Step] = []
        for stage in selected {
            var freshness: Freshness
            do {
                freshness = try stage.freshness(runner, pipeline)
            } catch let error as LoomError where options.dryRun && error.exitStatus == .inputMissing {
                // In a dry run an upstream output may not exist yet because it would be built first.
                freshness = .stale("an input is not there yet (\(error))")
            }
            if options.force && !freshness.mustRun { freshness = .stale("--force") }
            if forcedByUpstream && !freshness.mustRun && options.dryRun { freshness = .stale("an earlier stage will rerun") }
            if case .stale(let reason) = freshness, !options.retrain, !options.force,
               let kept = try stage.deferral(runner, pipeline) ?? readersKeep(stage, among: selected, runner: runner) {
                report("\(stage.name): kept (stale: \(reason); \(kept))")
                steps.append(Step(stage: stage.name, freshness: freshness, ran: false, report: nil))
                continue
            }
            guard freshness.mustRun else {
                report("\(stage.name): skipped (\(freshness.explanation))")
                steps.append(Step(stage: stage.name, freshness: freshness, ran: false, report: nil))
                continue
            }
            if options.dryRun {
                report("\(stage.name): would run (\(freshness.explanation))")
                steps.append(Step(stage: stage.name, freshness: freshness, ran: false, report: nil, wouldRun: true))
                forcedByUpstream = true
                continue
            }
            let stageReport: StageReport
            if options.shards > 1, stage.shardable, context.shard.isWhole, let executor = options.executor {
                report("\(stage.name): running as \(options.shards) shards (\(freshness.explanation))")
                try executor.runShards(stage: stage.name, count: options.shards, force: options.force)
                stageReport = try stage.merge(context, options.shards, false)
            } else {
                report("\(stage.name): running (\(freshness.explanation))")
                let stageLock = holdsDirectory || options.dryRun ? nil
                    : try WorkLock(workDirectory: context.workDirectory, scope: .stage(stage.name, context.shard))
                defer { stageLock?.release() }
                stageReport = try stage.run(runner, pipeline)
            }
            report(stageReport.summaryLine)
            steps.append(Step(stage: stage.name, freshness: freshness, ran: true, report: stageReport))
        }
        return steps
    }
}
