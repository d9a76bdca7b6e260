import Dispatch
import Foundation
import LoomCore
import LoomKernels

/// A BERT sentence encoder — all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, GELU, LayerNorm
/// ε 1e-12) — from token ids to the mean-pooled, L2-normalised sentence embedding.
///
/// The tokens of a batch are packed one after another without padding (a projection costs only
/// real tokens; attention looks only within its own sequence). The projections run through
/// SGEMM, whose every element is summed in one order whatever the row count or threads, and
/// attention is computed per (sequence, head) on its own: a sequence's embedding is the same bits
/// alone, in any batch and at any thread count.
public final class SentenceEncoder: @unchecked Sendable {
    // @unchecked: every stored property is immutable after init (the scratch pool locks itself).
    public let config: SentenceEncoderConfig
    /// The longest input sentence-transformers gives all-MiniLM-L6-v2 (`max_seq_length`), in
    /// tokens with [CLS] and [SEP]; longer texts are cut there.
    public static let maximumTokens = 256
    let words: [Float]
    let positions: [Float]
    let tokenType: [Float]
    let embeddingNorm: LayerNorm
    let layers: [Layer]
    let scratch = BufferPool()

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
    /// With several threads and sequences, each thread encodes its own contiguous share of the
    /// sequences (split by token count) on its own: no thread waits on another between the
    /// layers' steps, and a sequence's vector is the same bits in any share.
    public func encode(_ sequences: [[Int32]], threads: Int = 1) throws -> [[Float]] {
        let parts = min(threads, sequences.count)
        guard parts > 1 else { return try encodeShare(sequences, threads: threads) }
        let tokens = sequences.reduce(0) { $0 + $1.count }
        var bounds = [0], seen = 0
        for (index, sequence) in sequences.enumerated() {
            seen += sequence.count
            if bounds.count < parts, seen * parts >= tokens * bounds.count { bounds.append(index + 1) }
        }
        bounds.append(sequences.count)
        let shares = zip(bounds, bounds.dropFirst()).map { Array(sequences[$0..<$1]) }
        return try ParallelMap.map(shares, threads: shares.count) { try self.encodeShare($0, threads: 1) }.flatMap { $0 }
    }

    func encodeShare(_ sequences: [[Int32]], threads: Int) throws -> [[Float]] {
        let (hidden, offsets) = try hiddenStates(sequences, threads: threads)
        let h = config.hidden
        return sequences.indices.map { index in
            // Mean over the tokens, in double, then unit length.
            var sum = [Double](repeating: 0, count: h)
            for row in offsets[index]..<offsets[index + 1] {
                for j in 0..<h { sum[j] += Double(hidden[row * h + j]) }
            }
            let mean = sum.map { $0 / Double(max(sequences[index].count, 1)) }
            let norm = mean.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return mean.map { Float(norm > 0 ? $0 / norm : 0) }
        }
    }

    /// The last layer's hidden states, one row of `hidden` floats per token: sequence i's tokens
    /// are rows `offsets[i]..<offsets[i+1]`, with no padding between sequences (each row's
    /// projections cost only its own token, and attention looks only within its sequence).
    /// `layerOutput` sees the embedding output (layer 0) and each layer's.
    public func hiddenStates(_ sequences: [[Int32]], threads: Int = 1,
                             layerOutput: ((Int, [Float]) -> Void)? = nil) throws -> (states: [Float], offsets: [Int]) {
        let h = config.hidden
        var offsets = [0]
        for sequence in sequences {
            guard sequence.count <= config.maxPositions else {
                throw LoomError.usage("a sequence of \(sequence.count) tokens is longer than the encoder's \(config.maxPositions) positions")
            }
            offsets.append(offsets.last! + sequence.count)
        }
        let rows = offsets.last!
        guard rows > 0 else { return ([], offsets) }
        var x = [Float](repeating: 0, count: rows * h)
        for (index, sequence) in sequences.enumerated() {
            for (position, token) in sequence.enumerated() {
                guard token >= 0, Int(token) < config.vocabulary else {
                    throw LoomError.usage("token id \(token) is outside the encoder's vocabulary of \(config.vocabulary)")
                }
                let row = (offsets[index] + position) * h
                for j in 0..<h {
                    x[row + j] = words[Int(token) * h + j] + positions[position * h + j] + tokenType[j]
                }
            }
        }
        let epsilon = config.layerNormEpsilon
        x.withUnsafeMutableBufferPointer { Self.normalise($0.baseAddress!, adding: nil, rows: rows, width: h, norm: embeddingNorm, epsilon: epsilon, threads: threads) }
        layerOutput?(0, x)

        // Scratch for the layers, from a pool: a batch's activations are tens of megabytes, and
        // fresh zeroed arrays each call cost page faults. Every part is written before it is read.
        let n = config.intermediate
        scratch.with(count: rows * (5 * h + n)) { base in
            let (qkv, context, p, u) = (base, base + rows * 3 * h, base + rows * 4 * h, base + rows * 5 * h)
            for (index, layer) in layers.enumerated() {
                x.withUnsafeMutableBufferPointer { xs in
                    let x = xs.baseAddress!
                    layer.qkv.apply(x, rows: rows, into: qkv, threads: threads)
                    attend(qkv, offsets: offsets, into: context, threads: threads)
                    layer.attentionOutput.apply(context, rows: rows, into: p, threads: threads)
                    Self.normalise(x, adding: p, rows: rows, width: h, norm: layer.attentionNorm, epsilon: epsilon, threads: threads)
                    layer.up.apply(x, rows: rows, into: u, threads: threads)
                    let address = Int(bitPattern: u)
                    WorkSplit.forEach(rows, threads: threads, minimum: 16) { range in
                        Self.gelu(UnsafeMutablePointer<Float>(bitPattern: address)! + range.lowerBound * n, count: range.count * n)
                    }
                    layer.down.apply(u, rows: rows, into: p, threads: threads)
                    Self.normalise(x, adding: p, rows: rows, width: h, norm: layer.outputNorm, epsilon: epsilon, threads: threads)
                }
                layerOutput?(index + 1, x)
            }
        }
        return (x, offsets)
    }

    /// Scaled dot-product attention of every (sequence, head) over the sequence's tokens: `qkv`
    /// rows hold query, key and value side by side; `context` gets each head's output in its
    /// slice of the row. Both products go through SGEMM (keys and values packed per head), the
    /// softmax a row at a time from its largest score.
    func attend(_ qkv: UnsafePointer<Float>, offsets: [Int], into context: UnsafeMutablePointer<Float>, threads: Int) {
        let (h, heads, size) = (config.hidden, config.heads, config.headSize)
        let scale = 1 / Float(size).squareRoot()
        let pairs = (offsets.count - 1) * heads
        let (outputAddress, inputAddress) = (Int(bitPattern: context), Int(bitPattern: qkv))
        let work: @Sendable (Int) -> Void = { pair in
            let (sequence, head) = (pair / heads, pair % heads)
            let base = offsets[sequence]
            let n = offsets[sequence + 1] - base
            guard n > 0 else { return }
            let query = UnsafePointer<Float>(bitPattern: inputAddress)! + base * 3 * h + head * size
            let keys = PackedMatrix(depth: size, columns: n, transposing: query + h, ldw: 3 * h)
            let scores = FloatBuffer(count: n * n, zeroed: false)
            SGEMM.multiply(m: n, a: query, lda: 3 * h, b: keys, c: scores.pointer, ldc: n)
            // The rows' normalisation is applied to the 32-wide outputs, not the n-wide weights.
            let inverses = (0..<n).map { Self.softmaxTerms(scores.pointer + $0 * n, count: n, scale: scale) }
            let values = PackedMatrix(depth: n, columns: size, rowMajor: query + 2 * h, ldb: 3 * h)
            let target = UnsafeMutablePointer<Float>(bitPattern: outputAddress)! + base * h + head * size
            SGEMM.multiply(m: n, a: scores.pointer, lda: n, b: values, c: target, ldc: h)
            for row in 0..<n {
                let out = UnsafeMutableRawPointer(target + row * h)
                for d in stride(from: 0, to: size, by: 8) {
                    out.storeBytes(of: out.loadUnaligned(fromByteOffset: d * 4, as: SIMD8<Float>.self) * inverses[row], toByteOffset: d * 4, as: SIMD8<Float>.self)
                }
            }
        }
        // At most `threads` workers, each a contiguous run of (sequence, head) pairs.
        let workers = max(1, min(threads, pairs))
        if workers > 1 {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for pair in (pairs * worker / workers)..<(pairs * (worker + 1) / workers) { work(pair) }
            }
        } else {
            for pair in 0..<pairs { work(pair) }
        }
    }

    /// exp(scale · (x − max x)) over `count` floats in place, the unnormalised softmax (the
    /// largest term is 1: no overflow); returns the reciprocal of their sum, taken from eight
    /// lanes in double.
    static func softmaxTerms(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float) -> Float {
        let raw = UnsafeMutableRawPointer(x)
        var largestLanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            let v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
            largestLanes.replace(with: v, where: v .> largestLanes)
            j += 8
        }
        var largest = largestLanes.max()
        while j < count {
            largest = max(largest, x[j])
            j += 1
        }
        let shift = SIMD8<Float>(repeating: -largest * scale)
        var lanes = SIMD8<Float>()
        j = 0
        while j + 8 <= count {
            let e = VectorMath.exp(shift.addingProduct(raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self), SIMD8(repeating: scale)))
            raw.storeBytes(of: e, toByteOffset: j * 4, as: SIMD8<Float>.self)
            lanes += e
            j += 8
        }
        var total = laneSum(lanes)
        while j < count {
            var tail = SIMD8<Float>()
            tail[0] = (x[j] - largest) * scale
            x[j] = VectorMath.exp(tail)[0]
            total += Double(x[j])
            j += 1
        }
        return Float(1 / total)
    }

    /// LayerNorm of each row of `x` (after adding `residual`'s row to it, when given): mean and
    /// variance from eight float lanes summed in double, then γ·(x − μ)/√(σ² + ε) + β.
    static func normalise(_ x: UnsafeMutablePointer<Float>, adding residual: UnsafePointer<Float>?, rows: Int, width: Int,
                          norm: LayerNorm, epsilon: Float, threads: Int) {
        norm.gamma.withUnsafeBufferPointer { gamma in
            norm.beta.withUnsafeBufferPointer { beta in
                let (g, b) = (Int(bitPattern: gamma.baseAddress), Int(bitPattern: beta.baseAddress))
                let (xAddress, residualAddress) = (Int(bitPattern: x), Int(bitPattern: residual))
                WorkSplit.forEach(rows, threads: threads, minimum: 16) { range in
                    let gamma = UnsafeRawPointer(bitPattern: g)!, beta = UnsafeRawPointer(bitPattern: b)!
                    let residual = UnsafeRawPointer(bitPattern: residualAddress)
                    for row in range {
                        let start = UnsafeMutableRawPointer(bitPattern: xAddress)!.advanced(by: row * width * 4)
                        var sum = SIMD8<Float>()
                        for j in stride(from: 0, to: width, by: 8) {
                            var v = start.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                            if let residual {
                                v += residual.loadUnaligned(fromByteOffset: (row * width + j) * 4, as: SIMD8<Float>.self)
                                start.storeBytes(of: v, toByteOffset: j * 4, as: SIMD8<Float>.self)
                            }
                            sum += v
                        }
                        let mean = Float(Self.laneSum(sum) / Double(width))
                        var squares = SIMD8<Float>()
                        for j in stride(from: 0, to: width, by: 8) {
                            let centred = start.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - mean
                            squares.addProduct(centred, centred)
                        }
                        let inverse = Float(1 / (Self.laneSum(squares) / Double(width) + Double(epsilon)).squareRoot())
                        for j in stride(from: 0, to: width, by: 8) {
                            let centred = start.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self) - mean
                            let scaled = (centred * inverse) * gamma.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                                + beta.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                            start.storeBytes(of: scaled, toByteOffset: j * 4, as: SIMD8<Float>.self)
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    static func laneSum(_ lanes: SIMD8<Float>) -> Double {
        var total = 0.0
        for lane in 0..<8 { total += Double(lanes[lane]) }
        return total
    }

    /// BERT's GELU, x · Φ(x) with the normal CDF from erf (not the tanh approximation), over
    /// `count` floats in place (`count` a multiple of 8).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let raw = UnsafeMutableRawPointer(values)
        for offset in stride(from: 0, to: count * 4, by: 32) {
            let x = raw.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            raw.storeBytes(of: x * VectorMath.normalCDF(x), toByteOffset: offset, as: SIMD8<Float>.self)
        }
    }
}
