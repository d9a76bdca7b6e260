import Foundation
import LoomCore
import LoomInference
import LoomTestSupport
import Testing

/// Model directories: the untrained starting model the project carries, and its initialised heads.
@Suite struct ModelDirectoryTests {
    static var startingModel: String { InferenceFixtures.models.appendingPathComponent("loomnet-v1").path }

    @Test func headsFollowPyTorchsDefaultInitialisationAndDependOnlyOnTheSeed() throws {
        let config = try LoomNetConfig.load(path: Self.startingModel + "/config.json")
        let heads = HeadInitialiser.heads(config, seed: 5)
        let byName = Dictionary(uniqueKeysWithValues: heads.map { ($0.name, $0) })
        #expect(HeadInitialiser.heads(config, seed: 5).map(\.values) == heads.map(\.values))
        #expect(HeadInitialiser.heads(config, seed: 6).first { $0.name == "fusion.0.weight" }?.values != byName["fusion.0.weight"]?.values)

        let fusion = try #require(byName["fusion.0.weight"])   // fan_in 512: ±0.0442
        let bound = Float(1 / (512.0).squareRoot())
        #expect(fusion.shape == [512, 512] && fusion.values.allSatisfy { abs($0) <= bound })
        #expect(fusion.values.max()! > bound * 0.99 && fusion.values.min()! < -bound * 0.99)
        let lstm = try #require(byName["text.lstm.weight_hh_l1"])
        #expect(lstm.shape == [1024, 256] && lstm.values.allSatisfy { abs($0) <= 1 / 16 })

        let embedding = try #require(byName["text.embedding.weight"])
        #expect(embedding.values.prefix(128).allSatisfy { $0 == 0 }, "the padding row is zero")
        let rest = embedding.values.dropFirst(128).map(Double.init)
        let mean = rest.reduce(0, +) / Double(rest.count)
        let variance = rest.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(rest.count)
        #expect(abs(mean) < 0.01 && abs(variance - 1) < 0.01, "standard normal: mean \(mean), variance \(variance)")
        // The same tensors, with the same shapes, as the PyTorch reference model's heads.
        let temporary = TemporaryDirectory("heads")
        try InferenceFixtures.gunzip("loomnet_heads.safetensors.gz").write(to: URL(fileURLWithPath: temporary.file("h.safetensors")))
        let reference = try SafetensorsFile(path: temporary.file("h.safetensors")).entries.values.filter { !$0.name.hasPrefix("visual.classifier") }
        #expect(Dictionary(uniqueKeysWithValues: reference.map { ($0.name, $0.shape) }) == byName.mapValues(\.shape))
    }

    @Test func theStartingModelLoadsWithoutWeightsAndGivesUnitEmbeddings() throws {
        let network = try LoomNet(directory: Self.startingModel)
        let pixels = try InferenceFixtures.pixels("jpeg__pillow__hopper.png")
        let outputs = try network.forward([.init(pixels: pixels, tokens: [101, 2304, 102]), .init(pixels: nil, tokens: [])], threads: 2)
        let norm = outputs[0].embedding.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(abs(norm - 1) < 1e-5)
        #expect(outputs[1].visualPooled == nil && outputs[1].textLast == nil)
    }

    @Test func aDirectoryWithNeitherWeightsNorABackboneSaysWhatIsMissing() throws {
        let temporary = TemporaryDirectory("model")
        var config = try String(contentsOfFile: Self.startingModel + "/config.json", encoding: .utf8)
        config = config.replacingOccurrences(of: "\"init_seed\"", with: "\"unused_seed\"")
        try config.write(toFile: temporary.file("config.json"), atomically: true, encoding: .utf8)
        do {
            _ = try LoomNet(directory: temporary.path)
            Issue.record("loaded a model without weights")
        } catch {
            #expect(String(describing: error).contains("model.safetensors"))
            #expect(String(describing: error).contains("init_seed"))
        }
    }
}
