import Foundation
import LoomCore
import LoomFormats
import LoomInference
import LoomTrain

/// One training step of batch 256 with 24-token titles and cached visual features (forward,
/// backward through every head and the LSTM, Adam), beside the same step in PyTorch (CPU build)
/// run in the same bench (`Benchmarks/peers/torch_train_step.py`).
enum TrainingBenchmark {
    /// The issue's PyTorch figures (another machine, an older PyTorch), printed when torch is missing.
    static let recorded = "PyTorch (recorded earlier, not run here): 184 / 323"

    /// `negativesPerPositive` 4 is how Loom trains (64 positive rows of the batch share their anchor and
    /// positive across 4 negatives: 384 distinct items); 1 makes every triplet's three items distinct (768).
    /// PyTorch's rate moves by ±10% from run to run here, so the bench runs in `rounds`: each round
    /// PyTorch's steps, then Loom's; a ratio is the median of the rounds' own ratios (with their range).
    static func run(repeats: Int, rounds: Int = 3) throws {
        let configPath = "Models/loomnet-v1/config.json"
        let config = try LoomNetConfig.load(path: configPath)
        let shapes = [("train step, triplets/s (384 items), 1 / 2 thr", 384, 4), ("train step, triplets/s (768 items), 1 / 2 thr", 768, 1)]
        // LoomNet v1's step (last-token pooling, no spread-out term), as the PyTorch peer runs it.
        var v1 = TrainSettings.defaults
        v1.spread = 0
        var peerRounds: [[String: [Double]]] = [], loomRounds: [[Int: [Double]]] = []
        var peerVersion: String?
        for _ in 0..<rounds {
            let peerRun = try? runChild(["python3", "Benchmarks/peers/torch_train_step.py", "\(repeats)"])
            let peer = peerRun.flatMap { $0.status == 0 ? try? JSONSerialization.jsonObject(with: Data($0.output.utf8)) as? [String: Any] : nil }
            if let peer, let shapes = peer["shapes"] as? [String: [Double]] {
                peerRounds.append(shapes)
                peerVersion = "PyTorch \(peer["version"] ?? "?") (CPU capability \(peer["capability"] ?? "?")), same shapes, \(rounds) rounds"
            }
            var round: [Int: [Double]] = [:]
            for (_, items, negatives) in shapes {
                round[items] = try stepRates(config: config, settings: v1, negativesPerPositive: negatives, repeats: repeats)
            }
            loomRounds.append(round)
        }
        if let peerVersion { print(peerVersion) }
        let havePeer = peerRounds.count == rounds
        for (label, items, _) in shapes {
            let rates = [0, 1].map { threads in median(loomRounds.map { $0[items]![threads] }) }
            guard havePeer else {
                row(label, String(format: "%.0f / %.0f", rates[0], rates[1]), recorded)
                continue
            }
            let peerRates = [0, 1].map { threads in median(peerRounds.map { $0["\(items)"]?[threads] ?? .nan }) }
            let ratios = [0, 1].map { threads in zip(loomRounds, peerRounds).map { $0[items]![threads] / ($1["\(items)"]?[threads] ?? .nan) } }
            row(label, String(format: "%.0f / %.0f", rates[0], rates[1]),
                String(format: "PyTorch %.0f / %.0f here (Loom %.2f× / %.2f×, rounds %.2f-%.2f× / %.2f-%.2f×; target 1.5×)",
                       peerRates[0], peerRates[1], median(ratios[0]), median(ratios[1]),
                       ratios[0].min()!, ratios[0].max()!, ratios[1].min()!, ratios[1].max()!))
        }
        // The step as `loom train` runs it by default (mean pooling, spread-out term), against v1's medians.
        let v1Rates = [0, 1].map { threads in median(loomRounds.map { $0[768]![threads] }) }
        var trained = config
        trained.text.pooling = TrainSettings.defaults.textPooling
        let rates = try stepRates(config: trained, settings: .defaults, negativesPerPositive: 1, repeats: repeats)
        row("train step, default settings (768 items), 1 / 2 thr", String(format: "%.0f / %.0f", rates[0], rates[1]),
            String(format: "%.2f× / %.2f× the v1 step above (text pooling %@, spread %g)", rates[0] / v1Rates[0], rates[1] / v1Rates[1],
                   TrainSettings.defaults.textPooling.rawValue, TrainSettings.defaults.spread))
    }

    /// Triplets per second of one step on 1 and on 2 threads (median of `repeats` after a warm-up).
    static func stepRates(config: LoomNetConfig, settings base: TrainSettings, negativesPerPositive: Int, repeats: Int) throws -> [Double] {
        let data = syntheticBatch(config: config, negativesPerPositive: negativesPerPositive)
        var rates: [Double] = []
        for threads in [1, 2] {
            let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: 3), origin: "bench"))
            var settings = base
            settings.batch = 256
            let trainer = Trainer(data: data, parameters: parameters, settings: settings, seed: 1, threads: threads)
            let triplets = trainer.epochTriplets(1)
            precondition(triplets.count == 256)
            var step = 0
            trainer.step(triplets[...], key: "warm-up")
            let seconds = medianSeconds(repeats: repeats) {
                step += 1
                trainer.step(triplets[...], key: "step \(step)")
            }
            rates.append(256 / seconds)
        }
        return rates
    }

    /// `steps` steps of the 768-item batch (384 with `negativesPerPositive` 4) on `threads` threads
    /// and nothing else, for a profiler (`perf record .build/release/loom-bench train-profile`);
    /// prints the step time.
    static func profile(steps: Int, threads: Int, negativesPerPositive: Int = 1) throws {
        let config = try LoomNetConfig.load(path: "Models/loomnet-v1/config.json")
        let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: 3), origin: "bench"))
        var settings = TrainSettings.defaults
        settings.batch = 256
        settings.spread = 0   // v1's step, as `train` measures it
        let trainer = Trainer(data: syntheticBatch(config: config, negativesPerPositive: negativesPerPositive), parameters: parameters,
                              settings: settings, seed: 1, threads: threads)
        let triplets = trainer.epochTriplets(1)
        trainer.step(triplets[...], key: "warm-up")
        var step = 0
        let seconds = medianSeconds(repeats: steps) {
            step += 1
            trainer.step(triplets[...], key: "step \(step)")
        }
        row("train step (\(2 * 256 / negativesPerPositive + 256) items), \(threads) thr, median of \(steps)", String(format: "%.0f ms", seconds * 1000), "")
    }

    /// 256 triplets over distinct items with random features and 24-token titles.
    static func syntheticBatch(config: LoomNetConfig, negativesPerPositive: Int) -> TrainingData {
        var random = SeededRandom(seed: 11)
        let rows = 256 / negativesPerPositive
        let count = 2 * rows + 256
        var data = TrainingData()
        data.ids = (0..<count).map { Int64($0) }
        data.asins = data.ids.map { "B\($0)" }
        data.types = [String](repeating: "top", count: count)
        data.splits = [ItemSplit.Part](repeating: .train, count: count)
        data.visual = (0..<count).map { _ in (0..<config.visual.features).map { _ in Float(max(0, random.unit() * 4 - 2)) } }
        data.tokens = (0..<count).map { _ in [101] + (0..<22).map { _ in Int32(random.int(in: 1000...29_000)) } + [102] }
        data.positives[.train] = (0..<rows).map { row in
            TrainingData.Positive(anchor: row, positive: rows + row, weight: 1,
                                  negatives: (0..<negativesPerPositive).map { 2 * rows + row * negativesPerPositive + $0 })
        }
        return data
    }
}
