import Foundation
import GRDB
import LoomCore

/// `make bench`'s nightly section: a catalog of `items` products with photos (loom sample-data
/// --items N --churn 1), its first night end to end (training bounded to one epoch of at most
/// `trainTriplets` triplets), then the next night with 1% of the items new, retitled,
/// re-photographed and gone, without retraining (train and the triplets only it reads are kept,
/// as `loom run` keeps them). Every stage runs as its own process, so each one's wall time and
/// peak RSS are its own.
enum NightlyBenchmark {
    enum BenchError: Error, CustomStringConvertible {
        case failed(String, String)
        var description: String {
            switch self { case let .failed(stage, output): "nightly: \(stage) failed: \(output)" }
        }
    }

    struct StageRun {
        var stage: String
        var seconds: Double
        var peakRSSMegabytes: Double
        var counts: [String: Int]
    }

    static func run(scratch: String, loom: String, items: Int, trainTriplets: Int) throws {
        let data = (scratch as NSString).appendingPathComponent("nightly-data")
        let work = (scratch as NSString).appendingPathComponent("nightly-work")
        let model = (scratch as NSString).appendingPathComponent("nightly-model")
        let index = (scratch as NSString).appendingPathComponent("nightly-out/index.sqlite")
        func path(_ relative: String) -> String { (data as NSString).appendingPathComponent(relative) }

        let generated = try runChild([loom, "sample-data", "--items", "\(items)", "--churn", "1", "--out", data])
        guard generated.status == 0 else { throw BenchError.failed("sample-data", generated.output) }
        row("sample-data --items \(items) --churn 1", String(format: "%.1f s", generated.seconds),
            String(format: "%.0f products with photos/s (goal ≥ 1,000 on 2 cores); %@", Double(items) / generated.seconds,
                   generated.output.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: ", ").dropFirst().first ?? ""))

        func stage(_ name: String, _ arguments: [String]) throws -> StageRun {
            let run = try runChild([loom, name, "--work", work, "--no-progress", "--log-level", "error"] + arguments)
            guard run.status == 0 else { throw BenchError.failed(name, run.output) }
            let report = (work as NSString).appendingPathComponent("reports/\(name).json")
            let counts = (try? JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: report))))?.counts ?? [:]
            return StageRun(stage: name, seconds: run.seconds, peakRSSMegabytes: run.peakRSSMegabytes, counts: counts)
        }
        func night(catalog: String, images: [String], train: Bool) throws -> [StageRun] {
            var runs = [try stage("ingest", ["--catalog", catalog] + images.flatMap { ["--images", $0] })]
            // Only train reads the triplets: on a night without retraining `loom run` keeps them
            // stale with train (NightlyRerunTests), so they are not run here either.
            for name in ["images", "text", "triplets", "features"] where train || name != "triplets" { runs.append(try stage(name, [])) }
            if train {
                runs.append(try stage("train", ["--out", model, "--epochs", "1", "--max-triplets-per-epoch", "\(trainTriplets)"]))
            }
            runs.append(try stage("embed", ["--model", model]))
            runs.append(try stage("index", ["--out", index]))
            return runs
        }

        let first = try night(catalog: path("catalog/meta.jsonl"), images: [path("images")], train: true)
        let firstImages = try distinctImages(work)
        let second = try night(catalog: path("next/catalog/meta.jsonl"), images: [path("images"), path("next/images")], train: false)
        let allImages = firstImages.union(try distinctImages(work))

        print("nightly, \(items) products: stage          night 1: s, peak RSS          night 2 (1% churn, no retraining): s, peak RSS, reused/computed")
        for run in first {
            let next = second.first { $0.stage == run.stage }
            let reuse = next.map { " reused \($0.counts["reused"].map(String.init) ?? "-") / computed \($0.counts["computed"].map(String.init) ?? "-")" } ?? ""
            row("  \(run.stage)", String(format: "%.1f s, %.0f MB", run.seconds, run.peakRSSMegabytes),
                next.map { String(format: "%.2f s, %.0f MB;", $0.seconds, $0.peakRSSMegabytes) + reuse }
                    ?? (run.stage == "train" ? "(not run: no retraining)" : "(kept with train: only train reads it)"))
        }
        let firstWithoutTrain = first.filter { $0.stage != "train" }.map(\.seconds).reduce(0, +)
        let secondTotal = second.map(\.seconds).reduce(0, +)
        row("  night 2 / night 1 without train", String(format: "%.1f%%", 100 * secondTotal / firstWithoutTrain),
            String(format: "%.1f s / %.1f s (goal ≤ 5%%)", secondTotal, firstWithoutTrain))
        let backbone = (first + second).filter { $0.stage == "features" }.map { $0.counts["computed"] ?? 0 }.reduce(0, +)
        row("  backbone runs over both nights", "\(backbone)",
            "distinct stored images over both nights: \(allImages.count) (goal: equal)")
        let peak = (first + second).map(\.peakRSSMegabytes).max() ?? 0
        row("  peak RSS of any stage", String(format: "%.0f MB", peak), "(goal < 2,000 MB at 100,000 items)")
    }

    /// The hashes of the distinct stored images features.sqlite holds now.
    static func distinctImages(_ work: String) throws -> Set<String> {
        let queue = try DatabaseQueue(path: (work as NSString).appendingPathComponent("features.sqlite"))
        defer { try? queue.close() }
        return Set(try queue.read { db in try String.fetchAll(db, sql: "SELECT image_hash FROM features") })
    }
}
