import Foundation
import Logging

/// Runs stages: decides freshness, writes the output atomically with its `meta`, enforces the
/// reject ratio, writes `work/reports/<stage>.json` and prints the summary line.
public struct StageRunner: Sendable {
    public var context: StageContext
    /// Shared by the copies of this runner and the stages it runs (`context.inputHashes`): a
    /// file is hashed once per process while unchanged.
    var hashCache: InputHashCache { context.inputHashes }

    public init(context: StageContext) {
        self.context = context
    }

    /// The final output path of stage `S` for this context's shard: in the work directory, or
    /// for the product in the out directory (under `context.productFileName` when set).
    public func outputPath<S: Stage>(of type: S.Type) -> String {
        guard S.writesProduct else { return context.workPath(StageRunner.outputFileName(S.outputFileName, shard: context.shard)) }
        let name = StageRunner.outputFileName(context.productFileName ?? S.outputFileName, shard: context.shard)
        return (context.outDirectory as NSString).appendingPathComponent(name)
    }

    /// `catalog.sqlite` for a whole run, `catalog.shard-2-of-8.sqlite` for shard 2/8.
    public static func outputFileName(_ name: String, shard: Shard) -> String {
        guard !shard.isWhole else { return name }
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return "\(base).shard-\(shard.index)-of-\(shard.count).\(ext)"
    }

    /// Canonical JSON of the settings plus the run seed: what `meta.settings` records.
    public func canonicalSettings<T: StageSettings>(_ settings: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(settings)
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoomError.internalError("settings of type \(T.self) do not encode as a JSON object")
        }
        object["seed"] = context.seed
        let canonical = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: canonical, as: UTF8.self)
    }

    /// Hashes each input as it is now.
    public func hashInputs(_ inputs: [StageInput]) throws -> [HashedInput] {
        try inputs.map { input in
            switch input {
            case let .stage(name, fileName):
                let path = context.workPath(fileName)
                guard FileManager.default.fileExists(atPath: path) else {
                    throw LoomError.inputMissing(path: path, reason: "the output of stage '\(name)'; run that stage first")
                }
                return HashedInput(label: input.label, hash: try StageMeta.read(path: path).contentHash)
            case let .file(_, path):
                return HashedInput(label: input.label, hash: try hashCache.hash(of: path, using: ContentHash.file(atPath:)))
            case let .directory(_, path):
                return HashedInput(label: input.label, hash: try ContentHash.directory(atPath: path))
            }
        }
    }

    /// Whether stage `S` must run with these settings, and why.
    public func freshness<S: Stage>(_ stage: S, settings: S.Settings) throws -> Freshness {
        let recorded: StageMeta
        switch existingOutput(of: S.self) {
        case .meta(let meta): recorded = meta
        case .verdict(let freshness): return freshness
        }
        let inputs = try hashInputs(try stage.inputs(settings, context: context))
        let verdict = Freshness.decide(recorded: recorded, version: LoomVersion.current,
                                       settings: try canonicalSettings(settings), inputs: inputs,
                                       shard: context.shard.description)
        if !verdict.mustRun, let missing = stage.missingProducts(settings, context: context).first {
            return .stale("\(missing) is missing")
        }
        return verdict
    }

    /// What the existing output of `S` recorded, or the verdict when there is nothing to compare.
    enum ExistingOutput {
        case meta(StageMeta)
        case verdict(Freshness)
    }

    func existingOutput<S: Stage>(of type: S.Type) -> ExistingOutput {
        let path = outputPath(of: S.self)
        guard FileManager.default.fileExists(atPath: path) else { return .verdict(.missing) }
        do {
            return .meta(try StageMeta.read(path: path))
        } catch {
            return .verdict(.stale("existing output unreadable (\(error))"))
        }
    }

    /// Runs stage `S` unconditionally. The caller holds the work directory's `WorkLock`.
    @discardableResult
    public func run<S: Stage>(_ stage: S, settings: S.Settings) throws -> StageReport {
        var logger = context.logger
        logger[metadataKey: "stage"] = "\(S.name)"
        if !context.shard.isWhole { logger[metadataKey: "shard"] = "\(context.shard)" }
        var stageContext = context
        stageContext.logger = logger

        let settingsJSON = try canonicalSettings(settings)
        let declaredInputs = try stage.inputs(settings, context: stageContext)
        let finalPath = outputPath(of: S.self)
        removeStaleTemporaries(of: finalPath)

        let started = RunClock.timestamp()
        let clock = ContinuousClock.now
        // Input hashes are computed beside the stage (they only go into `meta`), so a large
        // catalog is not read twice in a row; a missing input still fails before any output.
        for input in declaredInputs {
            switch input {
            case let .file(_, path) where !FileManager.default.isReadableFile(atPath: path):
                throw LoomError.inputMissing(path: path, reason: FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file")
            case let .stage(name, fileName) where !FileManager.default.fileExists(atPath: context.workPath(fileName)):
                throw LoomError.inputMissing(path: context.workPath(fileName), reason: "the output of stage '\(name)'; run that stage first")
            default:
                break
            }
        }
        // Earlier outputs and folders are hashed beside the stage; files after it, through the
        // cache, where a stage that read a file whole (ingest) has recorded its hash: a large
        // catalog is not read twice in a row.
        let runner = self
        let hashing = BackgroundTask { try runner.hashInputs(declaredInputs.filter { !$0.isFile }) }
        var whole = self
        whole.context.shard = .whole
        let output = try StageOutput(stage: S.name, finalPath: finalPath, wholePath: whole.outputPath(of: S.self))
        let result: StageResult
        let inputs: [HashedInput]
        do {
            result = try stage.run(settings, context: stageContext, output: output)
            var hashed = try hashing.wait()[...]
            inputs = try declaredInputs.map { input in input.isFile ? try hashInputs([input])[0] : hashed.removeFirst() }
        } catch {
            _ = try? hashing.wait()
            output.discard()
            throw LoomError.classify(error, output: finalPath)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        var meta = StageMeta(
            stage: S.name, loomVersion: LoomVersion.current, settings: settingsJSON, inputs: inputs,
            shard: context.shard.description, started: started, finished: RunClock.timestamp(),
            records: result.records, rejects: output.rejects.total, counts: result.counts, contentHash: "")
        meta.extra = result.meta

        let counted = output.rejects.countedTowardLimit
        let ratio = Double(counted) / Double(max(result.records, 1))
        var report = StageReport(
            stage: S.name, shard: context.shard.description, status: "ok", records: result.records,
            counts: result.counts, rejects: output.rejects.total, rejectsByReason: output.rejects.byReason,
            rejectRatio: ratio, seconds: seconds, throughput: Double(result.records) / max(seconds, 1e-9),
            unit: result.unit, megabytesPerSecond: result.bytes.map { Double($0) / 1e6 / max(seconds, 1e-9) },
            threads: context.threads, output: finalPath, started: started, finished: meta.finished)
        report.details = result.meta
        report.work = result.work

        if ratio > settings.maxRejectRatio {
            let failedPath: String
            do {
                failedPath = try output.keepAsFailed(meta: meta)
            } catch {
                output.discard()
                throw error
            }
            report.status = "rejected"
            report.output = failedPath
            try writeReport(report)
            logger.error("\(report.summaryLine)")
            let reasons = report.rejectsByReason.sorted { $0.value > $1.value }.prefix(3)
                .map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            throw LoomError.rejectedBeyondRatio(
                stage: S.name, rejected: counted, records: result.records, ratio: ratio,
                limit: settings.maxRejectRatio,
                detail: "top reasons: \(reasons); rejects kept in \(failedPath) (previous output untouched)")
        }
        let committing = ContinuousClock.now
        do {
            meta = try output.commit(meta: meta)
            logger.debug("committed \(finalPath) (content hash, sync, rename) in \(ContinuousClock.now - committing)")
        } catch {
            output.discard()
            throw LoomError.classify(error, output: finalPath)
        }
        try writeReport(report)
        return report
    }

    private func writeReport(_ report: StageReport) throws {
        var named = report
        if !context.shard.isWhole { named.stage = "\(report.stage).shard-\(context.shard.index)-of-\(context.shard.count)" }
        do {
            try named.write(toDirectory: context.workPath("reports"))
        } catch {
            throw LoomError.cannotCreateOutput(path: context.workPath("reports"), reason: "\(error)")
        }
    }

    /// Temporary files of runs that were killed; safe to remove because we hold the work lock.
    private func removeStaleTemporaries(of finalPath: String) {
        let directory = (finalPath as NSString).deletingLastPathComponent
        let prefix = (finalPath as NSString).lastPathComponent + ".tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }
}

extension StageRunner {
    /// Freshness when no pipeline file is at hand (`loom status`): the settings recorded in the
    /// output are taken as current, so only inputs and the Loom version can make it stale.
    public func freshnessOfRecordedSettings<S: Stage>(_ stage: S) throws -> Freshness {
        let recorded: StageMeta
        switch existingOutput(of: S.self) {
        case .meta(let meta): recorded = meta
        case .verdict(let freshness): return freshness
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(recorded.settings.utf8)) as? [String: Any],
              let settingsData = try? JSONSerialization.data(withJSONObject: object.filter { $0.key != "seed" }),
              let settings = try? S.Settings.decode(fromJSON: settingsData) else {
            return .stale("recorded settings no longer decode (settings format changed)")
        }
        var runner = self
        if let seed = object["seed"] as? NSNumber { runner.context.seed = seed.uint64Value }
        do {
            return try runner.freshness(stage, settings: settings)
        } catch let error as LoomError {
            return .stale("\(error)")
        }
    }
}
