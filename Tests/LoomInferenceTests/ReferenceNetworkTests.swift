import Foundation
import LoomInference
import LoomKernels
import LoomTestSupport
import Testing

/// The networks against what PyTorch computes for the same weights and inputs.
@Suite struct ReferenceNetworkTests {
    struct MobileNetCase: Decodable {
        var input_png: String
        var logits: [Float]
        var pooled_features_1280: [Float]
    }
    struct MobileNetReference: Decodable { var cases: [MobileNetCase] }

    struct LoomNetCase: Decodable {
        var image: String
        var text: String
        var input_ids: [Int32]
        var visual_pooled_1280: [Float]
        var text_lstm_last_256: [Float]
        var embedding_256: [Float]
    }
    struct LoomNetReference: Decodable { var cases: [LoomNetCase] }

    @Test func mobileNetV2PooledFeaturesAndLogitsMatchPyTorch() throws {
        let reference = try JSONDecoder().decode(MobileNetReference.self, from: InferenceFixtures.gunzip("mobilenet_v2_reference.json.gz"))
        #expect(reference.cases.count == 7)
        let file = try SafetensorsFile(path: InferenceFixtures.mobileNetWeights)
        let network = try MobileNetV2(file)
        let classifier = try #require(network.classifier)
        let preprocessing = ImagePreprocessing(mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])
        let input = FloatBuffer(count: 224 * 224 * 3)
        let workspace = FloatBuffer(count: MobileNetV2.workspaceCount(size: 224))
        for item in reference.cases {
            let pixels = try InferenceFixtures.pixels((item.input_png as NSString).lastPathComponent)
            pixels.withUnsafeBufferPointer { preprocessing.normalise($0.baseAddress!, pixels: 224 * 224, into: input.pointer) }
            let features = FloatBuffer(count: 1280)
            network.pooledFeatures(image: input.pointer, size: 224, workspace: workspace.pointer, into: features.pointer)
            let logits = FloatBuffer(count: 1000)
            classifier.apply(features.pointer, rows: 1, into: logits.pointer)
            let cosine = InferenceFixtures.cosine(features.array, item.pooled_features_1280)
            let logitError = InferenceFixtures.maxAbsError(logits.array, item.logits)
            #expect(cosine > 0.9999, "\(item.input_png): pooled cosine \(cosine)")
            #expect(InferenceFixtures.cosine(logits.array, item.logits) > 0.9999, "\(item.input_png)")
            #expect(logitError < 1e-3, "\(item.input_png): logits max abs error \(logitError)")
        }
    }

    @Test func loomNetMatchesTheReferenceForwardPassAtOneAndTwoThreads() throws {
        let reference = try JSONDecoder().decode(LoomNetReference.self, from: InferenceFixtures.gunzip("loomnet_reference.json.gz"))
        #expect(reference.cases.count == 7)
        let temporary = TemporaryDirectory("loomnet")
        let network = try LoomNet(directory: try InferenceFixtures.loomNetDirectory(in: temporary))
        let batch = try reference.cases.map { LoomNet.Input(pixels: try InferenceFixtures.pixels($0.image), tokens: $0.input_ids) }
        let single = try network.forward(batch, threads: 1)
        for (item, output) in zip(reference.cases, single) {
            let visual = InferenceFixtures.cosine(try #require(output.visualPooled), item.visual_pooled_1280)
            let text = InferenceFixtures.cosine(try #require(output.textLast), item.text_lstm_last_256)
            let embedding = InferenceFixtures.cosine(output.embedding, item.embedding_256)
            #expect(visual > 0.9999, "\(item.image): visual_pooled_1280 cosine \(visual)")
            #expect(text > 0.9999, "\(item.text): text_lstm_last_256 cosine \(text)")
            #expect(embedding > 0.9999, "\(item.image): embedding_256 cosine \(embedding)")
        }
        // Same bits at two threads, and for an item whatever else shares its batch.
        let double = try network.forward(batch, threads: 2)
        #expect(single.map(\.embedding) == double.map(\.embedding))
        #expect(single.map(\.visualPooled) == double.map(\.visualPooled))
        let alone = try network.forward([batch[3]], threads: 1)
        #expect(alone[0].embedding == single[3].embedding)
    }
}
