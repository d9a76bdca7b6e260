import Dispatch
import Foundation
import LoomCore
import LoomKernels

/// A BERT sentence encoder — all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, GELU, LayerNorm
/// ε 1e-12) — from token ids to the mean-pooled, L2-normalised sentence embedding.
///
/// A batch of sequences is padded to its longest; padded keys are left out of every attention
/// (as BERT's mask does), padded rows out of the pooling. The projections run through SGEMM,
/// whose every element is summed in one order whatever the row count or threads, and attention
/// is computed per (sequence, head) on its own: a sequence's embedding is the same bits alone,
/// in any batch and at any thread count.
public final class SentenceEncoder: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init.
    public let config: SentenceEncoderConfig
    /// The longest input sentence-transformers gives all-MiniLM-L6-v2 (`max_seq_length`), in
    /// tokens with [CLS] and [SEP]; longer texts are cut there.
    public static let maximumTokens = 256
    let words: [Float]
    let positions: [Float]
    let tokenType: [Float]
    let embeddingNorm: LayerNorm
    let layers: [Layer]

    struct LayerNorm {
        let gamma: [Float]
        let beta: [Float]
    }

    struct Layer {
        /// Query, key and value in one product ([3·hidden, hidden]).
        let qkv: DenseLayer
        let attentionOutput: DenseLayer
        let attentionNorm: LayerNorm
        let up: DenseLayer
        let down: DenseLayer
        let outputNorm: LayerNorm
    }

    /// Whether `directory` holds a BERT sentence encoder (its config.json says `model_type` bert)
    /// rather than a LoomNet model.
    public static func isSentenceEncoder(directory: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: (directory as NSString).appendingPathComponent("config.json")),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["model_type"] as? String == "bert"
    }

    /// Loads `config.json` and `model.safetensors` from `directory`.
    public init(directory: String) throws {
        config = try SentenceEncoderConfig(directory: directory)
        let file = try SafetensorsFile(path: (directory as NSString).appendingPathComponent("model.safetensors"))
        let (h, n) = (config.hidden, config.intermediate)
        func norm(_ name: String) throws -> LayerNorm {
            LayerNorm(gamma: try file.floats(name + ".weight", shape: [h]), beta: try file.floats(name + ".bias", shape: [h]))
        }
        words = try file.floats("embeddings.word_embeddings.weight", shape: [config.vocabulary, h])
        positions = try file.floats("embeddings.position_embeddings.weight", shape: [config.maxPositions, h])
        tokenType = Array(try file.floats("embeddings.token_type_embeddings.weight", shape: [config.typeVocabulary, h])[0..<h])
        embeddingNorm = try norm("embeddings.LayerNorm")
        layers = try (0..<config.layers).map { index in
            let prefix = "encoder.layer.\(index)."
            let parts = ["query", "key", "value"].map { prefix + "attention.self." + $0 }
            let weight = try parts.flatMap { try file.floats($0 + ".weight", shape: [h, h]) }
            let bias = try parts.flatMap { try file.floats($0 + ".bias", shape: [h]) }
            return Layer(
                qkv: DenseLayer(weight: weight, bias: bias, inputs: h, outputs: 3 * h, activation: .none),
                attentionOutput: try DenseLayer(file, prefix + "attention.output.dense", inputs: h, outputs: h),
                attentionNorm: try norm(prefix + "attention.output.LayerNorm"),
                up: try DenseLayer(file, prefix + "intermediate.dense", inputs: h, outputs: n),
                down: try DenseLayer(file, prefix + "output.dense", inputs: n, outputs: h),
                outputNorm: try norm(prefix + "output.LayerNorm"))
        }
    }

    /// The sentence embeddings of `sequences` (token ids with [CLS] … [SEP]), one per sequence.
    public func encode(_ sequences: [[Int32]], threads: Int = 1) throws -> [[Float]] {
        let (hidden, length) = try hiddenStates(sequences, threads: threads)
        let h = config.hidden
        return sequences.enumerated().map { index, sequence in
            // Mean over the real tokens, in double, then unit length.
            var sum = [Double](repeating: 0, count: h)
            for token in 0..<sequence.count {
                let row = (index * length + token) * h
                for j in 0..<h { sum[j] += Double(hidden[row + j]) }
            }
            let mean = sum.map { $0 / Double(max(sequence.count, 1)) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return mean.map { Float(norm > 0 ? $0 / norm : 0) }
        }
    }

    /// The last layer's hidden states, `sequences.count × length × hidden` (padded to `length`,
    /// the longest sequence); `layerOutput` sees the embedding output (layer 0) and each layer's.
    public func hiddenStates(_ sequences: [[Int32]], threads: Int = 1,
                             layerOutput: ((Int, [Float], Int) -> Void)? = nil) throws -> (states: [Float], length: Int) {
        let h = config.hidden
        let length = sequences.map(\.count).max() ?? 0
        guard length > 0 else { return ([], 0) }
        guard length <= config.maxPositions else {
            throw LoomError.usage("a sequence of \(length) tokens is longer than the encoder's \(config.maxPositions) positions")
        }
        let rows = sequences.count * length
        var x = [Float](repeating: 0, count: rows * h)
        for (index, sequence) in sequences.enumerated() {
            for (position, token) in sequence.enumerated() {
                guard token >= 0, Int(token) < config.vocabulary else {
                    throw LoomError.usage("token id \(token) is outside the encoder's vocabulary of \(config.vocabulary)")
                }
                let row = (index * length + position) * h
                for j in 0..<h {
                    x[row + j] = words[Int(token) * h + j] + positions[position * h + j] + tokenType[j]
                }
            }
        }
        Self.normalise(&x, rows: rows, width: h, norm: embeddingNorm, epsilon: config.layerNormEpsilon)
        layerOutput?(0, x, length)

        var qkv = [Float](repeating: 0, count: rows * 3 * h)
        var context = [Float](repeating: 0, count: rows * h)
        var projected = [Float](repeating: 0, count: rows * h)
        var inner = [Float](repeating: 0, count: rows * config.intermediate)
        let lengths = sequences.map(\.count)
        for (index, layer) in layers.enumerated() {
            x.withUnsafeBufferPointer { input in
                qkv.withUnsafeMutableBufferPointer { layer.qkv.apply(input.baseAddress!, rows: rows, into: $0.baseAddress!, threads: threads) }
            }
            attend(qkv, lengths: lengths, length: length, into: &context, threads: threads)
            context.withUnsafeBufferPointer { input in
                projected.withUnsafeMutableBufferPointer { layer.attentionOutput.apply(input.baseAddress!, rows: rows, into: $0.baseAddress!, threads: threads) }
            }
            for i in 0..<(rows * h) { x[i] += projected[i] }
            Self.normalise(&x, rows: rows, width: h, norm: layer.attentionNorm, epsilon: config.layerNormEpsilon)
            x.withUnsafeBufferPointer { input in
                inner.withUnsafeMutableBufferPointer { layer.up.apply(input.baseAddress!, rows: rows, into: $0.baseAddress!, threads: threads) }
            }
            for i in 0..<inner.count { inner[i] = Self.gelu(inner[i]) }
            inner.withUnsafeBufferPointer { input in
                projected.withUnsafeMutableBufferPointer { layer.down.apply(input.baseAddress!, rows: rows, into: $0.baseAddress!, threads: threads) }
            }
            for i in 0..<(rows * h) { x[i] += projected[i] }
            Self.normalise(&x, rows: rows, width: h, norm: layer.outputNorm, epsilon: config.layerNormEpsilon)
            layerOutput?(index + 1, x, length)
        }
        return (x, length)
    }

    /// Scaled dot-product attention of every (sequence, head) over the sequence's real tokens:
    /// `qkv` rows hold query, key and value side by side; `context` gets each head's output in
    /// its slice of the row. Padded rows get zeros.
    func attend(_ qkv: [Float], lengths: [Int], length: Int, into context: inout [Float], threads: Int) {
        let (h, heads, size) = (config.hidden, config.heads, config.headSize)
        let scale = 1 / Float(size).squareRoot()
        let pairs = lengths.count * heads
        context.withUnsafeMutableBufferPointer { output in
            qkv.withUnsafeBufferPointer { input in
                let (outputAddress, inputAddress) = (Int(bitPattern: output.baseAddress), Int(bitPattern: input.baseAddress))
                let work: @Sendable (Int) -> Void = { pair in
                    let q = UnsafePointer<Float>(bitPattern: inputAddress)!
                    let out = UnsafeMutablePointer<Float>(bitPattern: outputAddress)!
                    let (sequence, head) = (pair / heads, pair % heads)
                    let n = lengths[sequence]
                    let base = sequence * length
                    var scores = [Float](repeating: 0, count: n)
                    for i in 0..<length {
                        let target = out + (base + i) * h + head * size
                        guard i < n else {
                            for j in 0..<size { target[j] = 0 }
                            continue
                        }
                        let query = q + (base + i) * 3 * h + head * size
                        var largest = -Float.infinity
                        for j in 0..<n {
                            let key = q + (base + j) * 3 * h + h + head * size
                            var dot = SIMD8<Float>()
                            for d in stride(from: 0, to: size, by: 8) {
                                dot = dot.addingProduct(UnsafeRawPointer(query + d).loadUnaligned(as: SIMD8<Float>.self),
                                                        UnsafeRawPointer(key + d).loadUnaligned(as: SIMD8<Float>.self))
                            }
                            scores[j] = dot.sum() * scale
                            largest = max(largest, scores[j])
                        }
                        // Softmax from the largest score down: no overflow, and a sum in double.
                        var total = 0.0
                        for j in 0..<n {
                            scores[j] = Foundation.exp(scores[j] - largest)
                            total += Double(scores[j])
                        }
                        let inverse = Float(1 / total)
                        for d in 0..<size { target[d] = 0 }
                        for j in 0..<n {
                            let value = q + (base + j) * 3 * h + 2 * h + head * size
                            let weight = scores[j] * inverse
                            for d in 0..<size { target[d] += weight * value[d] }
                        }
                    }
                }
                if threads > 1 {
                    DispatchQueue.concurrentPerform(iterations: pairs) { work($0) }
                } else {
                    for pair in 0..<pairs { work(pair) }
                }
            }
        }
    }

    /// LayerNorm of each row: mean and variance in double, then γ·(x − μ)/√(σ² + ε) + β.
    static func normalise(_ x: inout [Float], rows: Int, width: Int, norm: LayerNorm, epsilon: Float) {
        for row in 0..<rows {
            let start = row * width
            var sum = 0.0
            for j in 0..<width { sum += Double(x[start + j]) }
            let mean = sum / Double(width)
            var squares = 0.0
            for j in 0..<width {
                let centred = Double(x[start + j]) - mean
                squares += centred * centred
            }
            let inverse = 1 / (squares / Double(width) + Double(epsilon)).squareRoot()
            for j in 0..<width {
                x[start + j] = Float((Double(x[start + j]) - mean) * inverse) * norm.gamma[j] + norm.beta[j]
            }
        }
    }

    /// BERT's GELU: x · Φ(x) with the exact normal CDF (erf), not the tanh approximation.
    @inline(__always)
    static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.erf(x * 0.70710678118654752))
    }
}
