import Foundation
import LoomCore

/// LoomNet's trainable heads (`visual.proj`, `text.*`, `fusion.*`, as `LoomNetConfig.headTensorShapes`
/// lists them) initialised as PyTorch's defaults do — Linear: weight and bias uniform in
/// ±1/√fan_in; LSTM: every tensor uniform in ±1/√hidden; Embedding: standard normal with the
/// padding row zero — drawn from a generator keyed by the tensor's name, so a seed always gives
/// the same tensors.
public enum HeadInitialiser {
    public static func heads(_ config: LoomNetConfig, seed: UInt64) -> [SafetensorsWriter.Tensor] {
        let text = config.text
        let shapes = config.headTensorShapes
        let fanIn = Dictionary(uniqueKeysWithValues: shapes.filter { $0.0.hasSuffix(".weight") }.map { ($0.0, $0.1.last!) })
        return shapes.map { name, shape in
            var random = SeededRandom(seed: seed, key: name)
            let count = shape.reduce(1, *)
            if name == TypePairWeights.tensorName {   // every pair starts as the plain cosine
                return .init(name: name, shape: shape, values: [Float](repeating: 1, count: count))
            }
            if name == "text.embedding.weight" {
                var values = (0..<count).map { _ in Float(random.normal()) }
                if (0..<text.vocabSize).contains(text.padId) {
                    for i in 0..<text.embeddingDim { values[text.padId * text.embeddingDim + i] = 0 }
                }
                return .init(name: name, shape: shape, values: values)
            }
            // A Linear's bias takes the bound of its weight (1/√inputs); the LSTM's are all 1/√hidden.
            let bound = name.hasPrefix("text.lstm.")
                ? 1 / Double(text.lstmHidden).squareRoot()
                : 1 / Double(fanIn[name.hasSuffix(".bias") ? String(name.dropLast(5)) + ".weight" : name]!).squareRoot()
            return .init(name: name, shape: shape, values: (0..<count).map { _ in Float((random.unit() * 2 - 1) * bound) })
        }
    }
}
