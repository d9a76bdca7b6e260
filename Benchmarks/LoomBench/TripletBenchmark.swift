import Foundation
import LoomCore

/// `loom triplets` on a power-law graph of 1M items and 20M edges, 2 threads: wall time, edges/s,
/// triplets/s and peak RSS (the bar: under 60 s and 4 GB).
enum TripletBenchmark {
    static func run(scratch: String, loom: String, items: Int, edges: Int) throws {
        let work = (scratch as NSString).appendingPathComponent("work-triplets")
        let context = StageContext(workDirectory: work, threads: 2, showProgress: false)
        let build = Date()
        try StageRunner(context: context).run(SyntheticCatalogStage(), settings: .init(items: items, edges: edges))
        let built = Date().timeIntervalSince(build)
        let run = try runChild([loom, "triplets", "--work", work, "--threads", "2", "--no-progress"])
        guard run.status == 0 else {
            row("triplets \(items / 1_000_000)M items, \(edges / 1_000_000)M edges", "FAILED (exit \(run.status))")
            return
        }
        let report = try JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: (work as NSString).appendingPathComponent("reports/triplets.json"))))
        let triplets = ["train", "valid", "test"].map { report.counts["triplets_\($0)"] ?? 0 }.reduce(0, +)
        row("triplets \(items / 1_000_000)M items, \(edges / 1_000_000)M edges, 2 threads", String(format: "%.1f s wall", run.seconds),
            String(format: "%.2fM edges/s, %.2fM triplets/s (%d triplets), peak RSS %.0f MB; graph built in %.0f s",
                   Double(report.counts["edges_read"] ?? 0) / run.seconds / 1e6, Double(triplets) / run.seconds / 1e6, triplets,
                   run.peakRSSMegabytes, built))
        if ProcessInfo.processInfo.environment["LOOM_BENCH_KEEP"] != nil {
            let kept = "/tmp/loom-bench-triplets-\(items)"
            try? FileManager.default.removeItem(atPath: kept)
            try FileManager.default.moveItem(atPath: work, toPath: kept)
            print("kept the work directory in \(kept)")
        } else {
            try? FileManager.default.removeItem(atPath: work)
        }
    }
}
