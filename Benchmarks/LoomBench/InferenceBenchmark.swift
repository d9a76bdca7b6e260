import Foundation
import LoomInference

/// SGEMM and network throughput beside the reference figures of issue #8 (OpenBLAS,
/// onnxruntime, PyTorch measured on this machine).
enum InferenceBenchmark {
    static func gemm(repeats: Int) {
        let shapes: [(Int, Int, Int, String)] = [
            (512, 512, 512, "91-94"), (1024, 1024, 1024, "91-94"), (2048, 2048, 2048, "91-94"), (64, 1024, 1024, "84"),
        ]
        for (m, n, k, reference) in shapes {
            var random = SplitMixFloats(seed: 7)
            let a = FloatBuffer((0..<(m * k)).map { _ in random.next() })
            let bRaw = FloatBuffer((0..<(k * n)).map { _ in random.next() })
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

/// Uniform floats in [-1, 1) from a fixed seed, so benchmark inputs are the same every run.
struct SplitMixFloats {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Float(z >> 40) / Float(1 << 23) - 1
    }
}
