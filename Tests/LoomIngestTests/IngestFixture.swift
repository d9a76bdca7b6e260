import Foundation
import GRDB
import LoomCore
import LoomTestSupport
@testable import LoomIngest

/// Runs ingest into a temporary work directory and reads the result back.
struct IngestFixture {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")
    static let sampleData = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData")

    static func resource(_ name: String) -> String { resources.appendingPathComponent(name).path }
    static func sample(_ name: String) -> String { sampleData.appendingPathComponent(name).path }

    static let sampleCatalog = [
        sample("catalog/meta_2014_loose.json.gz"), sample("catalog/meta_2018.jsonl"),
        sample("catalog/meta_2023.jsonl"), sample("corrupt/meta_corrupt.jsonl"),
    ]
    static let sampleImages = [sample("images"), sample("corrupt/images")]

    let work = TemporaryDirectory("loom-ingest")
    let report: StageReport

    init(catalog: [String], images: [String] = [], threads: Int = 2, shard: Shard = .whole, batchRecords: Int = 2048,
         maxRejectRatio: Double = 0.05) throws {
        let context = StageContext(workDirectory: work.path, threads: threads, shard: shard, showProgress: false)
        report = try StageRunner(context: context).run(
            IngestStage(batchRecords: batchRecords),
            settings: IngestSettings(catalog: catalog, images: images, maxRejectRatio: maxRejectRatio))
    }

    var path: String { work.file(StageRunner.outputFileName("catalog.sqlite", shard: shardOfReport)) }
    private var shardOfReport: Shard { (try? Shard(parsing: report.shard)) ?? .whole }

    func read<T>(_ body: (Database) throws -> T) throws -> T {
        let queue = try StageOutputReader.open(path: path)
        defer { try? queue.close() }
        return try queue.read(body)
    }

    func items() throws -> [Row] { try read { try Row.fetchAll($0, sql: "SELECT * FROM items ORDER BY id") } }
    func edges() throws -> [Row] { try read { try Row.fetchAll($0, sql: "SELECT * FROM edges ORDER BY rowid") } }
    func rejects() throws -> [Row] { try read { try Row.fetchAll($0, sql: "SELECT * FROM rejects ORDER BY id") } }
}
