import Foundation
import LoomCore
@testable import LoomInference
import LoomKernels
import LoomTestSupport
import Testing

/// The 8-bit 1×1 convolution: exact integer sums on both instruction sets, the float layer's
/// results within the quantization error, and MobileNetV2's features close to the float ones.
@Suite struct QuantizedLayerTests {
    /// What the layer computes, in double precision from its own definition (per-row u8, per-column s8).
    static func reference(weight: [Float], bias: [Float], inputs: Int, outputs: Int, row: [Float], activation: Activation) -> [Double] {
        let lo = min(0, row.min()!), hi = max(0, row.max()!)
        var scale = (hi - lo) / 255
        if !(scale > 0) { scale = 1 }
        let inverse = 1 / scale
        let zero = max(0, min(255, Int((-lo * inverse).rounded(.toNearestOrEven))))
        let q = row.map { max(0, min(255, Int(($0 * inverse).rounded(.toNearestOrEven)) + zero)) }
        return (0..<outputs).map { column in
            let w = weight[(column * inputs)..<((column + 1) * inputs)]
            let largest = w.reduce(Float(0)) { max($0, abs($1)) }
            let wScale = largest > 0 ? largest / 127 : 1
            var sum = 0
            for (k, value) in w.enumerated() { sum += (q[k] - zero) * Int(max(-127, min(127, (value / wScale).rounded(.toNearestOrEven)))) }
            let y = Double(sum) * Double(scale) * Double(wScale) + Double(bias[column])
            switch activation {
            case .none: return y
            case .relu: return max(y, 0)
            case .relu6: return min(max(y, 0), 6)
            }
        }
    }

    // Output counts that end inside an 8- or 16-column group too (13, 20, 24, 40): the partial stores.
    @Test(arguments: [(13, 36, 24, Activation.none), (6, 4, 16, .relu6), (50, 960, 80, .relu6), (7, 320, 1280, .relu6), (1, 144, 40, .none),
                      (5, 8, 13, .relu), (9, 20, 20, .none)])
    func matchesItsDefinitionOnEveryInstructionSet(_ shape: (Int, Int, Int, Activation)) {
        let (rows, inputs, outputs, activation) = shape
        var random = SeededRandom(seed: UInt64(rows * 1000 + inputs))
        let weight = (0..<(inputs * outputs)).map { _ in Float(random.unit() * 2 - 1) }
        let bias = (0..<outputs).map { _ in Float(random.unit() - 0.5) }
        // Rows of different ranges: all positive (after a ReLU6), signed, and one all zero.
        var input = (0..<(rows * inputs)).map { index in Float(random.unit() * 6) - (index / inputs % 2 == 1 ? 3 : 0) }
        for k in 0..<inputs { input[(rows - 1) * inputs + k] = rows > 2 ? 0 : input[(rows - 1) * inputs + k] }
        let layer = QuantizedDenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, activation: activation)
        // Where the CPU lacks AVX-512 VNNI only the AVX2 kernel runs, and the two are not compared.
        let isas: [VectorISA] = CPUFeatures.hasAVX512 ? [.avx2, .avx512] : [.avx2]
        var results: [[Float]] = []
        for isa in isas {
            // Output rows wider than the layer: the columns past `outputs` must stay untouched.
            var output = [Float](repeating: -99, count: rows * (outputs + 5))
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    layer.apply(x.baseAddress!, rows: rows, into: y.baseAddress!, outputStride: outputs + 5, isa: isa)
                }
            }
            for r in 0..<rows {
                let row = Array(input[(r * inputs)..<((r + 1) * inputs)])
                let expected = Self.reference(weight: weight, bias: bias, inputs: inputs, outputs: outputs, row: row, activation: activation)
                for c in 0..<outputs {
                    let got = Double(output[r * (outputs + 5) + c])
                    #expect(abs(got - expected[c]) <= 1e-5 * max(1, abs(expected[c])), "\(isa) row \(r) column \(c): \(got) vs \(expected[c])")
                }
                #expect(output[(r * (outputs + 5) + outputs)..<((r + 1) * (outputs + 5))].allSatisfy { $0 == -99 })
            }
            results.append(output)
        }
        if results.count == 2 { #expect(results[0] == results[1], "AVX2 and AVX-512 give the same bits") }
    }

    @Test func staysNearTheFloatLayer() {
        var random = SeededRandom(seed: 3)
        let (rows, inputs, outputs) = (20, 576, 96)
        let weight = (0..<(inputs * outputs)).map { _ in Float(random.unit() * 0.2 - 0.1) }
        let bias = (0..<outputs).map { _ in Float(random.unit() - 0.5) }
        let input = (0..<(rows * inputs)).map { _ in Float(random.unit() * 6) }
        let float = DenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, activation: .none)
        let int8 = QuantizedDenseLayer(weight: weight, bias: bias, inputs: inputs, outputs: outputs, activation: .none)
        var exact = [Float](repeating: 0, count: rows * outputs), approximate = exact
        input.withUnsafeBufferPointer { x in
            exact.withUnsafeMutableBufferPointer { float.apply(x.baseAddress!, rows: rows, into: $0.baseAddress!) }
            approximate.withUnsafeMutableBufferPointer { int8.apply(x.baseAddress!, rows: rows, into: $0.baseAddress!) }
        }
        let cosine = InferenceFixtures.cosine(exact, approximate)
        #expect(cosine > 0.9999, "\(cosine)")
        #expect(zip(exact, approximate).contains { $0 != $1 }, "8-bit arithmetic is not the float result")
    }

    /// Issue #26's bar for an 8-bit default is pooled features within cosine 0.999 of the float
    /// network's on the reference images. Measured: 0.9933 (pngsuite's basn6a08) to 0.9992, so
    /// fp32 stays the default; this holds the int8 path to what it reaches (every image above
    /// 0.99, the median above 0.998) and fails if it falls back.
    @Test func mobileNetV2FeaturesStayCloseToTheFloatNetwork() throws {
        let reference = try JSONDecoder().decode(ReferenceNetworkTests.MobileNetReference.self,
                                                 from: InferenceFixtures.gunzip("mobilenet_v2_reference.json.gz"))
        let file = try SafetensorsFile(path: InferenceFixtures.mobileNetWeights)
        let float = try MobileNetV2(file), int8 = try MobileNetV2(file, precision: .int8)
        let preprocessing = ImagePreprocessing(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let input = FloatBuffer(count: 224 * 224 * 3)
        let workspace = FloatBuffer(count: MobileNetV2.workspaceCount(size: 224))
        var cosines: [Double] = []
        for item in reference.cases {
            let pixels = try InferenceFixtures.pixels((item.input_png as NSString).lastPathComponent)
            pixels.withUnsafeBufferPointer { preprocessing.normalise($0.baseAddress!, pixels: 224 * 224, into: input.pointer) }
            let a = FloatBuffer(count: 1280), b = FloatBuffer(count: 1280)
            float.pooledFeatures(image: input.pointer, size: 224, workspace: workspace.pointer, into: a.pointer)
            int8.pooledFeatures(image: input.pointer, size: 224, workspace: workspace.pointer, into: b.pointer)
            let cosine = Double(InferenceFixtures.cosine(a.array, b.array))
            cosines.append(cosine)
            #expect(cosine > 0.99, "\(item.input_png): pooled cosine to fp32 \(cosine)")
        }
        #expect(cosines.sorted()[cosines.count / 2] > 0.998, "\(cosines)")
    }
}
