import Foundation
import GRDB

/// `loom status`: for each stage, whether its output is fresh, stale or missing, why, when it
/// was made, its counts and rejects.
public struct WorkStatus: Sendable {
    public struct Entry: Sendable {
        public var stage: String
        public var output: String
        public var freshness: Freshness
        public var meta: StageMeta?
        public var rejectsByReason: [String: Int]
    }

    public let entries: [Entry]

    /// With a pipeline file, freshness uses its settings; without one, the recorded settings.
    public init(stages: [StageDescriptor], context: StageContext, pipeline: PipelineFile?) throws {
        let runner = StageRunner(context: context)
        entries = try stages.map { stage in
            let path = context.workPath(StageRunner.outputFileName(stage.outputFileName, shard: context.shard))
            let meta = try? StageMeta.read(path: path)
            var freshness: Freshness
            do {
                if let pipeline, pipeline.stageNames.contains(stage.name) {
                    freshness = try stage.freshness(runner, pipeline)
                } else {
                    freshness = try stage.recordedFreshness(runner)
                }
            } catch let error as LoomError where error.exitStatus == .inputMissing {
                freshness = meta == nil ? .missing : .stale("\(error)")
            }
            return Entry(stage: stage.name, output: path, freshness: freshness, meta: meta,
                         rejectsByReason: meta == nil ? [:] : WorkStatus.rejectsByReason(path: path))
        }
    }

    private static func rejectsByReason(path: String) -> [String: Int] {
        guard let queue = try? StageOutputReader.open(path: path) else { return [:] }
        defer { try? queue.close() }
        return (try? queue.read { db in
            var result: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT reason, COUNT(*) AS n FROM rejects GROUP BY reason") {
                result[try row.stored("reason")] = try row.stored("n")
            }
            return result
        }) ?? [:]
    }

    /// A table for the terminal.
    public var text: String {
        var lines: [String] = []
        for entry in entries {
            var line = "\(entry.stage.padding(toLength: 9, withPad: " ", startingAt: 0)) \(entry.freshness.explanation)"
            if let meta = entry.meta {
                line += "\n          \(entry.output): \(meta.records) records, \(meta.rejects) rejected, finished \(meta.finished)"
                if !meta.counts.isEmpty {
                    line += "\n          " + meta.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                }
                if !entry.rejectsByReason.isEmpty {
                    line += "\n          rejects: " + entry.rejectsByReason.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
