import Foundation
import LoomCore

/// LoomNet's trainable heads (`visual.proj`, `text.*`, `fusion.*`) initialised as PyTorch's
/// defaults do — Linear: weight and bias uniform in ±1/√fan_in; LSTM: every tensor uniform in
/// ±1/√hidden; Embedding: standard normal with the padding row zero — drawn from a generator
/// keyed by the tensor's name, so a seed always gives the same tensors.
public enum HeadInitialiser {
    public static func heads(_ config: LoomNetConfig, seed: UInt64) -> [SafetensorsWriter.Tensor] {
        let text = config.text
        var tensors: [SafetensorsWriter.Tensor] = []
        func uniform(_ name: String, _ shape: [Int], bound: Double) {
            var random = SeededRandom(seed: seed, key: name)
            let count = shape.reduce(1, *)
            tensors.append(.init(name: name, shape: shape, values: (0..<count).map { _ in Float((random.unit() * 2 - 1) * bound) }))
        }
        func linear(_ name: String, inputs: Int, outputs: Int) {
            let bound = 1 / Double(inputs).squareRoot()
            uniform(name + ".weight", [outputs, inputs], bound: bound)
            uniform(name + ".bias", [outputs], bound: bound)
        }
        linear("visual.proj", inputs: config.visual.features, outputs: config.embeddingDim)

        var random = SeededRandom(seed: seed, key: "text.embedding.weight")
        var embedding = (0..<(text.vocabSize * text.embeddingDim)).map { _ in Float(random.normal()) }
        if (0..<text.vocabSize).contains(text.padId) {
            for i in 0..<text.embeddingDim { embedding[text.padId * text.embeddingDim + i] = 0 }
        }
        tensors.append(.init(name: "text.embedding.weight", shape: [text.vocabSize, text.embeddingDim], values: embedding))

        let lstmBound = 1 / Double(text.lstmHidden).squareRoot()
        for layer in 0..<text.lstmLayers {
            let inputs = layer == 0 ? text.embeddingDim : text.lstmHidden
            let gates = 4 * text.lstmHidden
            uniform("text.lstm.weight_ih_l\(layer)", [gates, inputs], bound: lstmBound)
            uniform("text.lstm.weight_hh_l\(layer)", [gates, text.lstmHidden], bound: lstmBound)
            uniform("text.lstm.bias_ih_l\(layer)", [gates], bound: lstmBound)
            uniform("text.lstm.bias_hh_l\(layer)", [gates], bound: lstmBound)
        }
        linear("text.proj", inputs: text.lstmHidden, outputs: config.embeddingDim)
        linear("fusion.0", inputs: 2 * config.embeddingDim, outputs: config.fusionHidden)
        linear("fusion.2", inputs: config.fusionHidden, outputs: config.embeddingDim)
        return tensors
    }
}
