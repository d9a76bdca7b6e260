import Foundation
import LoomCore
import LoomInference
import LoomKernels

/// SGEMM and network throughput beside the reference figures of issue #8 (OpenBLAS,
/// onnxruntime, PyTorch measured on this machine).
enum InferenceBenchmark {
    static func gemm(repeats: Int) {
        let shapes: [(Int, Int, Int, String)] = [
            (512, 512, 512, "91-94"), (1024, 1024, 1024, "91-94"), (2048, 2048, 2048, "91-94"), (64, 1024, 1024, "84"),
        ]
        // OpenBLAS through numpy in the same run, with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
        // for that command only (OpenBLAS then picks its kernel for this CPU, which it names).
        let peerRun = try? runChild(["env", "-u", "OPENBLAS_CORETYPE", "-u", "OPENBLAS_L2_SIZE", "python3", "Benchmarks/peers/numpy_gemm.py"]
                                    + shapes.map { "\($0.0),\($0.1),\($0.2)" })
        let peer = peerRun.flatMap { $0.status == 0 ? try? JSONSerialization.jsonObject(with: Data($0.output.utf8)) as? [String: Any] : nil }
        if let peer { print("OpenBLAS \(peer["version"] ?? "?") through numpy, kernel \(peer["kernel"] ?? "?") (threadpoolctl)") }
        for (m, n, k, reference) in shapes {
            var random = SeededRandom(seed: 7)
            let a = FloatBuffer(random.floats(m * k))
            let bRaw = FloatBuffer(random.floats(k * n))
            let b = PackedMatrix(depth: k, columns: n, rowMajor: bRaw.pointer, ldb: n)
            let c = FloatBuffer(count: m * n)
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let inner = max(1, Int(4e9 / flops))
            // Each instruction set this CPU has: the default (widest) first, then the AVX2 fallback.
            let isas: [VectorISA] = CPUFeatures.isa == .avx512 ? [.avx512, .avx2] : [.avx2]
            var rates: [VectorISA: [Double]] = [:]
            for isa in isas {
                for threads in [1, 2] {
                    let seconds = medianSeconds(repeats: repeats) {
                        for _ in 0..<inner {
                            SGEMM.multiply(m: m, a: a.pointer, lda: k, b: b, c: c.pointer, ldc: n, threads: threads, isa: isa)
                        }
                    } / Double(inner)
                    rates[isa, default: []].append(flops / seconds / 1e9)
                }
            }
            let measured = (peer?["shapes"] as? [String: [Double]])?["\(m),\(n),\(k)"]
            let label = m == k ? "SGEMM \(m)³ GFLOP/s, 1 / 2 thr" : "SGEMM \(m)×\(k)·\(k)×\(n) GFLOP/s, 1 / 2 thr"
            for isa in isas {
                let loom = rates[isa]!
                row(isa == isas[0] ? label : "  the same, LOOM_ISA=\(isa.rawValue)", String(format: "%.1f / %.1f", loom[0], loom[1]),
                    measured.map { String(format: "OpenBLAS %.1f / %.1f here (Loom %.0f%% / %.0f%%)", $0[0], $0[1],
                                          100 * loom[0] / $0[0], 100 * loom[1] / $0[1])
                                   + (isa == isas[0] ? " [\(isa.rawValue)]; earlier: \(reference) / 180-185" : "") }
                        ?? "OpenBLAS (recorded earlier): \(reference) / 180-185; numpy peer not run")
            }
        }
    }
}

extension InferenceBenchmark {
    static let onnxPeer = "Benchmarks/peers/onnx_networks.py"

    /// MobileNetV2 images/s and full LoomNet items/s (24-token titles), batch 32, from the
    /// starting model in Models/ (the heads' values do not change the work done), beside
    /// onnxruntime running the same networks built from the same weights, in the same run.
    static func networks(repeats: Int, rounds: Int = 3, batchSize: Int = 32) throws {
        let network = try LoomNet(directory: "Models/loomnet-v1")
        var random = SeededRandom(seed: 9)
        let size = network.config.imageSize
        let images = (0..<batchSize).map { _ in (0..<(size * size * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        let titles = (0..<batchSize).map { _ in [101] + (0..<22).map { _ in Int32(random.int(in: 1000...29_000)) } + [102] }
        let imageOnly = images.map { LoomNet.Input(pixels: $0, tokens: []) }
        let full = zip(images, titles).map { LoomNet.Input(pixels: $0, tokens: $1) }
        // Rounds alternate Loom and onnxruntime, so that a slow spell of this shared machine hits
        // both; each figure is the median over the rounds of a median of `repeats` batches.
        var loomRounds: [[[Double]]] = [], peerRounds: [[String: [Double]]] = []
        for _ in 0..<rounds {
            var loom: [[Double]] = []
            for batch in [imageOnly, full] {
                var rates: [Double] = []
                for threads in [1, 2] {
                    _ = try network.forward(batch, threads: threads)   // warm-up: scratch buffers, page faults
                    let seconds = try medianSeconds(repeats: repeats) { _ = try network.forward(batch, threads: threads) }
                    rates.append(Double(batchSize) / seconds)
                }
                loom.append(rates)
            }
            loomRounds.append(loom)
            let peer = try runChild(["python3", onnxPeer, "Models/mobilenet_v2/model.safetensors", String(batchSize), String(repeats)])
            if peer.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(peer.output.utf8)) as? [String: Any] {
                peerRounds.append(object.compactMapValues { $0 as? [Double] })
            }
        }
        for (index, (label, key, reference)) in [
            ("MobileNetV2 images/s, 1 / 2 thr", "mobilenet", "issue: ort 133 / 239, PyTorch 23 / 31"),
            ("LoomNet items/s (24 tokens), 1 / 2 thr", "loomnet", "issue: ort 125 / 223, PyTorch 30 / 51"),
        ].enumerated() {
            let rates = [0, 1].map { threads in median(loomRounds.map { $0[index][threads] }) }
            var peerColumn = "onnxruntime: not installed (pip install onnxruntime onnx numpy)"
            if peerRounds.count == rounds {
                let ort = [0, 1].map { threads in median(peerRounds.compactMap { $0[key]?[threads] }) }
                peerColumn = String(format: "ort %.0f / %.0f here (Loom %.2f× / %.2f×); %@",
                                    ort[0], ort[1], rates[0] / ort[0], rates[1] / ort[1], reference)
            }
            row(label, String(format: "%.0f / %.0f", rates[0], rates[1]), peerColumn)
        }
    }
}

extension InferenceBenchmark {
    /// GFLOP/s of SGEMM on each distinct 1×1 convolution shape of MobileNetV2 at 224² (one image):
    /// where the network's time goes.
    static func mobileNetShapes(repeats: Int, threads: Int = 1, shapes given: [(m: Int, k: Int, n: Int)]? = nil) {
        let shapes: [(m: Int, k: Int, n: Int)] = given ?? [
            (12544, 32, 16), (12544, 16, 96), (3136, 96, 24), (3136, 24, 144), (3136, 144, 24), (784, 144, 32),
            (784, 32, 192), (784, 192, 32), (196, 192, 64), (196, 64, 384), (196, 384, 64), (196, 384, 96),
            (196, 96, 576), (196, 576, 96), (49, 576, 160), (49, 160, 960), (49, 960, 160), (49, 960, 320), (49, 320, 1280),
        ]
        var random = SeededRandom(seed: 5)
        for shape in shapes {
            let a = FloatBuffer(random.floats(shape.m * shape.k))
            let weights = FloatBuffer(random.floats(shape.k * shape.n))
            let b = PackedMatrix(depth: shape.k, columns: shape.n, rowMajor: weights.pointer, ldb: shape.n)
            let bias = FloatBuffer(random.floats(shape.n))
            let c = FloatBuffer(count: shape.m * shape.n)
            let flops = 2.0 * Double(shape.m * shape.n * shape.k)
            let inner = max(1, Int(1e9 / flops))
            let seconds = medianSeconds(repeats: repeats) {
                for _ in 0..<inner {
                    SGEMM.multiply(m: shape.m, a: a.pointer, lda: shape.k, b: b, c: c.pointer, ldc: shape.n,
                                   bias: bias.pointer, activation: .relu6, threads: threads)
                }
            } / Double(inner)
            row("  \(given == nil ? "1×1 conv " : "")\(shape.m)×\(shape.k)→\(shape.n), \(threads) thr", String(format: "%.1f GFLOP/s", flops / seconds / 1e9),
                String(format: "%.3f ms per image", seconds * 1000))
        }
    }
}

extension InferenceBenchmark {
    /// Milliseconds per image of each depthwise layer shape of MobileNetV2 (whole images; the
    /// network runs them in bands), best of 50.
    static func depthwiseShapes() {
        let shapes: [(Int, Int, Int, Int)] = [(112, 32, 1, 1), (112, 96, 2, 1), (56, 144, 1, 1), (56, 144, 2, 1), (28, 192, 1, 2), (28, 192, 2, 1),
                                              (14, 384, 1, 4), (14, 576, 1, 2), (14, 576, 2, 1), (7, 960, 1, 3)]
        var random = SeededRandom(seed: 1)
        var total = 0.0
        for (size, channels, stride, count) in shapes {
            let input = FloatBuffer(random.floats(size * size * channels))
            let weights = FloatBuffer(random.floats(9 * channels)), bias = FloatBuffer(random.floats(channels))
            let output = FloatBuffer(count: size * size * channels)
            var best = Double.infinity
            for _ in 0..<50 {
                let start = DispatchTime.now().uptimeNanoseconds
                DepthwiseConvolution.apply(input: input.pointer, height: size, width: size, channels: channels, stride: stride,
                                           weights: weights.pointer, bias: bias.pointer, activation: .relu6, output: output.pointer)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            let outSize = (size - 1) / stride + 1
            let fma = Double(outSize * outSize * channels * 9) / 8
            print("DW \(size)x\(channels) s\(stride) ×\(count): \(String(format: "%.3f", best * Double(count))) ms, \(String(format: "%.2f", fma / (best * 1e6))) vFMA/ns")
            total += best * Double(count)
        }
        print("DW total \(total) ms")
    }
}

extension InferenceBenchmark {
    /// MobileNetV2 alone on one thread for `seconds`, for a profiler to look at.
    static func mobileNetProfile(seconds: Double = 10) throws {
        let network = try LoomNet(directory: "Models/loomnet-v1")
        var random = SeededRandom(seed: 9)
        let size = network.config.imageSize
        let batch = (0..<32).map { _ in LoomNet.Input(pixels: (0..<(size * size * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, tokens: []) }
        let start = DispatchTime.now().uptimeNanoseconds
        var images = 0
        while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            _ = try network.forward(batch, threads: 1)
            images += batch.count
        }
        row("MobileNetV2, 1 thread, \(Int(seconds)) s", String(format: "%.0f images/s", Double(images) / seconds))
    }
}

extension InferenceBenchmark {
    /// GFLOP/s of the training step's products at their shapes and strides (768 items of 24
    /// tokens; layer 0's over the batch's about 12,700 distinct tokens, which it runs on): where a
    /// step's time goes, product by product.
    static func trainShapes(repeats: Int, threads: Int) {
        let shapes: [(label: String, m: Int, k: Int, lda: Int, n: Int)] = [
            ("layer-0 input projection", 12700, 128, 128, 1024), ("layer-1 input projection", 18432, 256, 256, 1024),
            ("recurrent, forward", 768, 256, 256, 1024), ("recurrent, backward", 768, 1024, 1040, 256),
            ("input gradient, layer 1", 18432, 1024, 1040, 256), ("input gradient, layer 0", 12700, 1024, 1040, 128),
            ("weight gradient, 256 inputs", 256, 18432, 18448, 1024), ("weight gradient, 128 inputs", 128, 12700, 12700, 1024),
        ]
        var random = SeededRandom(seed: 5)
        for shape in shapes {
            let a = FloatBuffer(random.floats(shape.m * shape.lda))
            let weights = FloatBuffer(random.floats(shape.k * shape.n))
            let b = PackedMatrix(depth: shape.k, columns: shape.n, rowMajor: weights.pointer, ldb: shape.n)
            let c = FloatBuffer(count: shape.m * shape.n)
            let flops = 2.0 * Double(shape.m * shape.n * shape.k)
            let inner = max(1, Int(2e9 / flops))
            let seconds = medianSeconds(repeats: repeats) {
                for _ in 0..<inner {
                    SGEMM.multiply(m: shape.m, a: a.pointer, lda: shape.lda, b: b, c: c.pointer, ldc: shape.n, threads: threads)
                }
            } / Double(inner)
            row("  \(shape.label) \(shape.m)×\(shape.k)→\(shape.n), \(threads) thr", String(format: "%.1f GFLOP/s", flops / seconds / 1e9),
                String(format: "%.1f ms", seconds * 1000))
        }
    }
}
