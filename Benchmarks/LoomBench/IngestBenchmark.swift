import Foundation

/// `loom ingest` on a 200 MB and a 1 GB 2018-style catalog, beside Python loops of json.loads
/// and orjson.loads that extract the same fields (Benchmarks/peers/ingest_python.py).
enum IngestBenchmark {
    static let source = "Tests/LoomIngestTests/Resources/2018_strict_jsonl/meta_Appliances.sample100.json.gz"
    static let peer = "Benchmarks/peers/ingest_python.py"

    static func run(scratch: String, loom: String, repeats: Int) throws {
        let small = (scratch as NSString).appendingPathComponent("catalog-200mb.json")
        let smallBytes = try CatalogFixture.write(to: small, atLeast: 200_000_000, from: source)
        let megabytes = Double(smallBytes) / 1e6

        // Rounds of one run each (Loom at 1 and 2 threads, then the two Python loops), so that drift
        // on this shared machine hits all alike; ratios are the medians of each round's own.
        var stageRates: [Int: [Double]] = [1: [], 2: []], wallRates: [Int: [Double]] = [1: [], 2: []]
        var rss: [Int: [Double]] = [1: [], 2: []]
        var peers: [String: [Double]] = ["json": [], "orjson": []]
        // "Per core" read strictly: Loom at 1 thread and the orjson loop both pinned to one core
        // (Loom's read-ahead thread, which also computes the input's content hash, then shares it), and
        // the CPU seconds each process spends.
        var pinned: [String: [Double]] = ["loom": [], "orjson": []]
        var cpu: [String: [Double]] = ["loom": [], "orjson": []]
        for round in 0..<repeats {
            for threads in [1, 2] {
                let work = (scratch as NSString).appendingPathComponent("work-\(threads)-\(round)")
                let run = try runChild([loom, "ingest", "--catalog", small, "--work", work, "--threads", "\(threads)", "--no-progress", "--log-level", "error"])
                guard run.status == 0 else { throw NSError(domain: "loom-bench", code: Int(run.status), userInfo: [NSLocalizedDescriptionKey: "loom ingest failed: \(run.output)"]) }
                stageRates[threads]!.append(stageRate(run.output))
                wallRates[threads]!.append(megabytes / run.seconds)
                rss[threads]!.append(run.peakRSSMegabytes)
                if threads == 1 { cpu["loom"]!.append(run.cpuSeconds) }
                try? FileManager.default.removeItem(atPath: work)
            }
            for parser in ["json", "orjson"] {
                let run = try runChild(["python3", peer, parser, small])
                if run.status == 0, let rate = Double(run.output.split(separator: " ").first ?? "") {
                    peers[parser]!.append(rate)
                    if parser == "orjson" { cpu["orjson"]!.append(run.cpuSeconds) }
                }
            }
            let work = (scratch as NSString).appendingPathComponent("work-pinned-\(round)")
            // Without taskset (or orjson) the pinned row says it was not measured.
            let loomPinned = try? runChild(["taskset", "-c", "0", loom, "ingest", "--catalog", small, "--work", work, "--threads", "1", "--no-progress", "--log-level", "error"])
            try? FileManager.default.removeItem(atPath: work)
            let orjsonPinned = try? runChild(["taskset", "-c", "0", "python3", peer, "orjson", small])
            if let loomPinned, let orjsonPinned, loomPinned.status == 0, orjsonPinned.status == 0,
               let rate = Double(orjsonPinned.output.split(separator: " ").first ?? "") {
                pinned["loom"]!.append(stageRate(loomPinned.output))
                pinned["orjson"]!.append(rate)
            }
        }
        for threads in [1, 2] {
            row("ingest 200 MB, \(threads) thread\(threads == 1 ? "" : "s") (stage)", String(format: "%.0f MB/s", median(stageRates[threads]!)),
                String(format: "wall incl. the input hash %.0f MB/s, peak RSS %.0f MB", median(wallRates[threads]!), median(rss[threads]!)))
        }
        for parser in ["json", "orjson"] {
            let rates = peers[parser]!
            guard rates.count == repeats else {
                row("python \(parser).loads loop", "not available")
                continue
            }
            let ratios = zip(stageRates[1]!, rates).map { $0 / $1 }
            row("python \(parser).loads loop, 200 MB", String(format: "%.0f MB/s", median(rates)),
                String(format: "loom 1 thread / %@ = %.2f (rounds %.2f-%.2f)", parser, median(ratios), ratios.min()!, ratios.max()!))
        }
        if pinned["loom"]!.count == repeats {
            let ratios = zip(pinned["loom"]!, pinned["orjson"]!).map { $0 / $1 }
            row("ingest 200 MB, 1 thread, pinned to one core", String(format: "%.0f MB/s", median(pinned["loom"]!)),
                String(format: "orjson loop pinned %.0f MB/s: loom / orjson = %.2f (rounds %.2f-%.2f)", median(pinned["orjson"]!),
                       median(ratios), ratios.min()!, ratios.max()!))
        } else {
            row("ingest 200 MB, 1 thread, pinned to one core", "not measured", "needs taskset and orjson")
        }
        if cpu["orjson"]!.count == repeats {
            row("CPU seconds for 200 MB, 1 thread", String(format: "%.2f s", median(cpu["loom"]!)),
                String(format: "incl. the input hash; orjson process %.2f s (incl. Python start-up)", median(cpu["orjson"]!)))
        }
        try? FileManager.default.removeItem(atPath: small)

        // Memory must stay flat as the file grows: the same run on five times the data.
        let large = (scratch as NSString).appendingPathComponent("catalog-1gb.json")
        _ = try CatalogFixture.write(to: large, atLeast: 1_000_000_000, from: source)
        for threads in [1, 2] {
            let work = (scratch as NSString).appendingPathComponent("work-large-\(threads)")
            let run = try runChild([loom, "ingest", "--catalog", large, "--work", work, "--threads", "\(threads)", "--no-progress", "--log-level", "error"])
            row("ingest 1 GB, \(threads) thread\(threads == 1 ? "" : "s") (stage, 1 run)", String(format: "%.0f MB/s", stageRate(run.output)),
                String(format: "peak RSS %.0f MB", run.peakRSSMegabytes))
            try? FileManager.default.removeItem(atPath: work)
        }
        try? FileManager.default.removeItem(atPath: large)
    }

    /// The MB/s figure of a stage summary line.
    static func stageRate(_ summary: String) -> Double {
        guard let range = summary.range(of: #"[0-9.]+ MB/s"#, options: .regularExpression) else { return .nan }
        return Double(summary[range].split(separator: " ")[0]) ?? .nan
    }
}
