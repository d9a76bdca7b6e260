import Foundation
import LoomCore
import LoomImaging
import LoomInference

/// Issue #26's 8-bit backbone: MobileNetV2 with its 1×1 convolutions in int8 (the features
/// stage's `precision: int8`) beside the float network and beside onnxruntime's static int8
/// model of the same weights, in the same run; and how close each int8 network's pooled
/// features stay to its float network's on the reference images (the bar for a default: 0.999).
enum Int8BackboneBenchmark {
    static let peer = "Benchmarks/peers/onnx_int8.py"
    static let referenceImages = "Tests/LoomInferenceTests/Resources/inputs_224"

    static func run(repeats: Int, rounds: Int = 3, batchSize: Int = 32) throws {
        let float = try LoomNet(directory: "Models/loomnet-v1")
        let int8 = try LoomNet(directory: "Models/loomnet-v1", backbonePrecision: .int8)
        var random = SeededRandom(seed: 9)
        let size = float.config.imageSize
        let batch = (0..<batchSize).map { _ in
            LoomNet.Input(pixels: (0..<(size * size * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }, tokens: [])
        }
        // Rounds alternate the networks and the peer; each figure is a median over the rounds.
        var loomRounds: [[[Double]]] = [], peerRounds: [[String: Any]] = []
        for _ in 0..<rounds {
            loomRounds.append(try [float, int8].map { network in
                try [1, 2].map { threads in
                    _ = try network.forward(batch, threads: threads)
                    return Double(batchSize) / (try medianSeconds(repeats: repeats) { _ = try network.forward(batch, threads: threads) })
                }
            })
            let result = try runChild(["python3", peer, "Models/mobilenet_v2/model.safetensors", referenceImages, String(batchSize), String(repeats)])
            if result.status == 0, let object = try? JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any] {
                peerRounds.append(object)
            }
        }
        let rates = (0..<2).map { network in [0, 1].map { threads in median(loomRounds.map { $0[network][threads] }) } }
        let peerRates = ["mobilenet", "mobilenet_int8"].map { key in
            [0, 1].map { threads in median(peerRounds.compactMap { ($0[key] as? [Double])?[threads] }) }
        }
        let havePeer = peerRounds.count == rounds
        row("MobileNetV2 int8 images/s, 1 / 2 thr", String(format: "%.0f / %.0f", rates[1][0], rates[1][1]),
            String(format: "fp32 %.0f / %.0f (int8 %.2f× / %.2f×)", rates[0][0], rates[0][1], rates[1][0] / rates[0][0], rates[1][1] / rates[0][1])
                + (havePeer ? String(format: "; ort int8 %.0f / %.0f here (Loom %.2f× / %.2f×), ort fp32 %.0f / %.0f",
                                     peerRates[1][0], peerRates[1][1], rates[1][0] / peerRates[1][0], rates[1][1] / peerRates[1][1],
                                     peerRates[0][0], peerRates[0][1])
                             : "; onnxruntime int8: not run (pip install onnxruntime onnx numpy pillow)"))
        let loomCosines = try cosines(float, int8)
        let peerCosines = (peerRounds.first?["cosine"] as? [Double]) ?? []
        func summary(_ values: [Double]) -> String {
            values.isEmpty ? "-" : String(format: "%.4f / %.4f", values.min()!, median(values))
        }
        row("  int8 cosine to fp32, lowest / median", summary(loomCosines),
            "ort int8 \(summary(peerCosines)); \(loomCosines.count) reference images; bar for a default: 0.999")
    }

    /// The pooled features' cosine between the two networks on each reference image.
    static func cosines(_ float: LoomNet, _ int8: LoomNet) throws -> [Double] {
        let names = try FileManager.default.contentsOfDirectory(atPath: referenceImages).filter { $0.hasSuffix(".png") }.sorted()
        return try names.map { name in
            let image = try PNGDecoder.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: referenceImages + "/" + name))), maxPixels: 1 << 20)
            var rgb = [UInt8](repeating: 0, count: image.width * image.height * 3)
            for pixel in 0..<(image.width * image.height) { for c in 0..<3 { rgb[pixel * 3 + c] = image.pixels[pixel * 4 + c] } }
            let input = [LoomNet.Input(pixels: rgb, tokens: [])]
            let a = try float.forward(input)[0].visualPooled ?? [], b = try int8.forward(input)[0].visualPooled ?? []
            var dot = 0.0, aa = 0.0, bb = 0.0
            for (x, y) in zip(a, b) { dot += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
            return dot / (aa * bb).squareRoot()
        }
    }
}
