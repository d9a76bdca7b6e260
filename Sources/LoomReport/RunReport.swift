import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomTrain

/// What `loom report` shows of a work directory: each stage's last report with its rejects,
/// training's epochs, a gallery of held-out items with what the index answers for them, the
/// embedding's health and the index's meta. Gathered from the outputs themselves, so the report
/// can be made again at any time.
public struct RunReport {
    /// One stage as its last run left it.
    public struct StageSection {
        public var report: StageReport
        /// Whether the stage ran in the run that writes this report (nil: not known, `loom report` alone).
        public var ranNow: Bool?
        public var rejects: [RejectGroup]
    }

    /// The rejects of one reason: how many, and the first few.
    public struct RejectGroup {
        public var reason: String
        public var count: Int
        public var first: [RejectRow]
    }

    public struct RejectRow {
        public var source: String
        public var position: String
        public var detail: String
        /// A thumbnail of the rejected file where it is an image that decodes.
        public var thumbnail: String?
    }

    public struct Epoch: Equatable {
        public var epoch: Int
        public var loss: Double
        public var validAUC: Double
    }

    public var workDirectory: String
    public var indexPath: String
    public var generated: String
    public var stages: [StageSection] = []
    public var epochs: [Epoch] = []
    /// `loom eval` on the test split: the trained model and the baselines.
    public var evaluation: [ModelEvaluation.Row] = []
    public var gallery: [GalleryItem] = []
    public var health: EmbeddingHealth?
    public var indexMeta: [(key: String, value: String)] = []
    /// Why a section is missing (no index yet, no training …), by section.
    public var missing: [String: String] = [:]

    /// The stages in pipeline order.
    public static let stageOrder = ["ingest", "images", "text", "triplets", "features", "train", "embed", "index"]
    /// Rejects listed per reason.
    public static let rejectsShown = 5

    /// Gathers the report of `workDirectory` and the index at `indexPath`. `ran`: the stages the
    /// current run ran (nil when not known).
    public static func gather(workDirectory: String, indexPath: String, ran: Set<String>? = nil, seed: UInt64 = 1,
                              threads: Int = 0) throws -> RunReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: workDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LoomError.inputMissing(path: workDirectory, reason: "no such work directory")
        }
        var report = RunReport(workDirectory: workDirectory, indexPath: indexPath, generated: RunClock.timestamp())
        let reports = (workDirectory as NSString).appendingPathComponent("reports")
        for stage in stageOrder {
            let path = (reports as NSString).appendingPathComponent("\(stage).json")
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let stageReport: StageReport
            do {
                stageReport = try JSONDecoder().decode(StageReport.self, from: data)
            } catch {
                throw LoomError.badInput(path: path, position: nil, reason: "not a stage report (\(error))")
            }
            // A stage command run with a relative --work recorded its output relative to where it
            // ran: look for the file in the work directory then.
            var output = stageReport.output
            let inWork = (workDirectory as NSString).appendingPathComponent((output as NSString).lastPathComponent)
            if !FileManager.default.fileExists(atPath: output), FileManager.default.fileExists(atPath: inWork) { output = inWork }
            report.stages.append(StageSection(report: stageReport, ranNow: ran.map { $0.contains(stage) },
                                              rejects: try rejectGroups(of: output)))
        }
        if report.stages.isEmpty { report.missing["stages"] = "no stage has run in \(workDirectory) (no reports/*.json)" }
        report.epochs = try epochs(workDirectory: workDirectory)
        if report.epochs.isEmpty {
            report.missing["training"] = "no train.sqlite in \(workDirectory)"
        } else {
            do {
                report.evaluation = try ReportEvaluation.rows(workDirectory: workDirectory, seed: seed, threads: threads)
            } catch {
                report.missing["evaluation"] = "no evaluation: \((error as? LoomError)?.description ?? "\(error)")"
            }
        }
        do {
            let gallery = try Gallery(workDirectory: workDirectory, indexPath: indexPath)
            let (items, edges) = try gallery.items()
            report.gallery = items
            report.health = gallery.health(edges: edges)
            report.indexMeta = gallery.index.meta.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            if report.gallery.isEmpty { report.missing["gallery"] = "no held-out item with a photo in the index" }
        } catch {
            // The other sections stand without it (no index yet, a stage missing, a damaged file).
            report.missing["gallery"] = (error as? LoomError)?.description ?? "\(error)"
        }
        return report
    }

    /// An output's rejects by reason (most first), with the first few of each.
    static func rejectGroups(of output: String) throws -> [RejectGroup] {
        guard FileManager.default.fileExists(atPath: output) else { return [] }
        let database = try StageOutputReader.open(path: output)
        defer { try? database.close() }
        return try database.read { db in
            var groups: [RejectGroup] = []
            let reasons = try Row.fetchAll(db, sql: "SELECT reason, COUNT(*) AS n FROM rejects GROUP BY reason ORDER BY n DESC, reason")
            for row in reasons {
                let reason: String = try row.stored("reason")
                let rows = try Row.fetchAll(db, sql: "SELECT source, position, detail FROM rejects WHERE reason = ? ORDER BY id LIMIT ?",
                                            arguments: [reason, rejectsShown])
                let first = try rows.map { row in
                    let source: String = try row.stored("source"), position: String = try row.stored("position")
                    // The images stage names the item as the source and the file as the position.
                    let file = [source, position].first(where: Self.looksLikeImage)
                    return RejectRow(source: source, position: position, detail: try row.stored("detail"),
                                     thumbnail: file.flatMap(Thumbnail.of(path:)))
                }
                groups.append(RejectGroup(reason: reason, count: try row.stored("n"), first: first))
            }
            return groups
        }
    }

    static func looksLikeImage(_ path: String) -> Bool {
        ["jpg", "jpeg", "png"].contains((path as NSString).pathExtension.lowercased())
    }

    /// Training's epochs from `train.sqlite`.
    static func epochs(workDirectory: String) throws -> [Epoch] {
        let path = (workDirectory as NSString).appendingPathComponent(StageOutputFile.train.fileName)
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let database = try StageOutputReader.open(path: path)
        defer { try? database.close() }
        return try database.read { db in
            try Row.fetchAll(db, sql: "SELECT epoch, loss, valid_auc FROM epochs ORDER BY epoch").map { row in
                Epoch(epoch: try row.stored("epoch"), loss: try row.stored("loss"), validAUC: try row.stored("valid_auc"))
            }
        }
    }
}
