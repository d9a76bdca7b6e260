import Foundation
import LoomCore
import LoomInference

/// SGEMM and network throughput beside the reference figures of issue #8 (OpenBLAS,
/// onnxruntime, PyTorch measured on this machine).
enum InferenceBenchmark {
    static func gemm(repeats: Int) {
        let shapes: [(Int, Int, Int, String)] = [
            (512, 512, 512, "91-94"), (1024, 1024, 1024, "91-94"), (2048, 2048, 2048, "91-94"), (64, 1024, 1024, "84"),
        ]
        for (m, n, k, reference) in shapes {
            var random = SeededRandom(seed: 7)
            let a = FloatBuffer(random.floats(m * k))
            let bRaw = FloatBuffer(random.floats(k * n))
            let b = PackedMatrix(depth: k, columns: n, rowMajor: bRaw.pointer, ldb: n)
            let c = FloatBuffer(count: m * n)
            let flops = 2.0 * Double(m) * Double(n) * Double(k)
            let inner = max(1, Int(4e9 / flops))
            var rates: [Double] = []
            for threads in [1, 2] {
                let seconds = medianSeconds(repeats: repeats) {
                    for _ in 0..<inner {
                        SGEMM.multiply(m: m, a: a.pointer, lda: k, b: b, c: c.pointer, ldc: n, threads: threads)
                    }
                } / Double(inner)
                rates.append(flops / seconds / 1e9)
            }
            row("SGEMM \(m)×\(k)·\(k)×\(n), GFLOP/s 1 / 2 threads",
                String(format: "%.1f / %.1f (%.2f×)", rates[0], rates[1], rates[1] / rates[0]),
                "OpenBLAS: \(reference) / 180-185")
        }
    }
}
