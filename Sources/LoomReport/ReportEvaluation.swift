import Foundation
import LoomCore
import LoomFormats
import LoomTrain

/// The report's evaluation table: `loom eval` on the test split (the trained model beside the
/// baselines). It embeds every item twice, so it is kept in `work/reports/eval-test.json` with
/// the training output it scored and made again only when training made another one.
enum ReportEvaluation {
    struct Cached: Codable {
        var key: String
        var rows: [ModelEvaluation.Row]
    }

    static func rows(workDirectory: String, seed: UInt64, threads: Int) throws -> [ModelEvaluation.Row] {
        let trainPath = (workDirectory as NSString).appendingPathComponent(StageOutputFile.train.fileName)
        let meta = try StageMeta.read(path: trainPath)
        guard let model = meta.extra["model"], let start = meta.extra["started_from"] else {
            throw LoomError.badInput(path: trainPath, position: "meta", reason: "names no model (model, started_from)")
        }
        let inputs = meta.inputs.map { "\($0.label)=\($0.hash)" }.joined(separator: ",")
        let key = "\(meta.contentHash) \(inputs) \(model) \(start) seed \(seed)"
        let cache = (workDirectory as NSString).appendingPathComponent("reports/eval-test.json")
        if let data = FileManager.default.contents(atPath: cache), let cached = try? JSONDecoder().decode(Cached.self, from: data),
           cached.key == key {
            return cached.rows
        }
        let rows = try ModelEvaluation.run(work: workDirectory, model: model, untrained: start, split: .test, seed: seed, threads: threads)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A cache: a file that cannot be written costs the next report the evaluation again.
        try? encoder.encode(Cached(key: key, rows: rows)).write(to: URL(fileURLWithPath: cache), options: .atomic)
        return rows
    }
}
