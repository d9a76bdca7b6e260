import Dispatch
import Foundation
import LoomCore
import LoomKernels

/// LoomNet v1: MobileNetV2 → pooled 1280 → `visual.proj` (256); token ids → `text.embedding` →
/// LSTM → last token (or the mean over tokens) → `text.proj` (256); concat → `fusion.0` → ReLU → `fusion.2` → L2 normalise.
public struct LoomNet: Sendable {
    /// One item's input: its image as the backbone's pooled features (`visual`, computed once by
    /// the features stage) or as RGB8 pixels at the model's image size (nil both: no image), and
    /// token ids ([CLS] … [SEP]; empty: no text).
    public struct Input: Sendable {
        public var pixels: [UInt8]?
        public var visual: [Float]?
        public var tokens: [Int32]
        public init(pixels: [UInt8]? = nil, visual: [Float]? = nil, tokens: [Int32]) {
            self.pixels = pixels
            self.visual = visual
            self.tokens = tokens
        }

        var hasImage: Bool { pixels != nil || visual != nil }
    }

    /// What the network computed for one item. A missing tower contributes a zero vector
    /// (documented fallback) and leaves its own fields nil.
    public struct Output: Sendable {
        public var embedding: [Float]
        public var visualPooled: [Float]?
        public var textLast: [Float]?
    }

    public let config: LoomNetConfig
    public let visual: MobileNetV2
    let visualProjection: DenseLayer
    let tokenEmbedding: FloatBuffer
    let lstm: TextLSTM
    let textProjection: DenseLayer
    let fusionHidden: DenseLayer
    let fusionOutput: DenseLayer
    /// The type-pair weights of a model trained with type-aware scores (nil: plain cosine only).
    public let typePairs: TypePairWeights?
    let preprocessing: ImagePreprocessing
    /// Per-worker scratch (the normalised input image and MobileNetV2's workspace; the LSTM's
    /// buffers), reused from batch to batch instead of mapped and faulted in each time.
    let scratch = BufferPool()

    /// Loads `<directory>/config.json` and `<directory>/model.safetensors`; a directory without
    /// weights (the untrained starting model) takes its backbone from the config's
    /// `backbone_weights` and initialises the heads from its `init_seed`.
    /// `backbonePrecision`: the arithmetic of the backbone's 1×1 convolutions (the features stage's
    /// `precision`); the heads are always float.
    public init(directory: String, backbonePrecision: BackbonePrecision = .fp32) throws {
        let (config, weights) = try Self.source(directory: directory)
        try self.init(config: config, weights: weights, backbonePrecision: backbonePrecision)
    }

    /// The config and weights of a model directory (as `init(directory:)` reads them), for
    /// callers that need the tensors themselves as well as the network.
    public static func source(directory: String) throws -> (LoomNetConfig, any TensorSource) {
        let configPath = (directory as NSString).appendingPathComponent("config.json")
        let config = try LoomNetConfig.load(path: configPath)
        return (config, try weights(directory: directory, config: config, configPath: configPath))
    }

    static func weights(directory: String, config: LoomNetConfig, configPath: String) throws -> any TensorSource {
        let weightsPath = (directory as NSString).appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: weightsPath) { return try SafetensorsFile(path: weightsPath) }
        guard let backbone = config.backboneWeights, let seed = config.initSeed else {
            throw LoomError.inputMissing(
                path: weightsPath, reason: "no weights, and \(configPath) names no backbone_weights and init_seed to start from")
        }
        let backbonePath = backbone.hasPrefix("/") ? backbone : (directory as NSString).appendingPathComponent(backbone)
        return TensorSet(HeadInitialiser.heads(config, seed: seed), origin: "heads initialised from seed \(seed)",
                         over: try SafetensorsFile(path: backbonePath))
    }

    public init(config: LoomNetConfig, weights file: any TensorSource, backbonePrecision: BackbonePrecision = .fp32) throws {
        self.config = config
        let text = config.text
        visual = try MobileNetV2(file, prefix: "visual.", batchNormEps: config.visual.batchnormEps, precision: backbonePrecision)
        visualProjection = try DenseLayer(file, "visual.proj", inputs: MobileNetV2.featureCount, outputs: config.embeddingDim)
        tokenEmbedding = FloatBuffer(try file.floats("text.embedding.weight", shape: [text.vocabSize, text.embeddingDim]))
        lstm = try TextLSTM(file, prefix: "text.lstm.", inputSize: text.embeddingDim, hidden: text.lstmHidden, layers: text.lstmLayers)
        textProjection = try DenseLayer(file, "text.proj", inputs: text.lstmHidden, outputs: config.embeddingDim)
        fusionHidden = try DenseLayer(file, "fusion.0", inputs: 2 * config.embeddingDim, outputs: config.fusionHidden, activation: .relu)
        fusionOutput = try DenseLayer(file, "fusion.2", inputs: config.fusionHidden, outputs: config.embeddingDim)
        typePairs = try config.types.map { types in
            TypePairWeights(types: types, dim: config.embeddingDim, weights: try file.floats(
                TypePairWeights.tensorName, shape: TypePairWeights.shape(types: types.count, dim: config.embeddingDim)))
        }
        preprocessing = ImagePreprocessing(mean: config.mean, std: config.std)
    }

    public var embeddingDim: Int { config.embeddingDim }

    /// Runs a batch. Images (one per work item) and text (groups of `textGroup` sequences) are
    /// spread over `threads` workers; every item's result is the same at any thread count and in
    /// any batch.
    public func forward(_ batch: [Input], threads: Int = 1) throws -> [Output] {
        let size = config.imageSize
        for (index, item) in batch.enumerated() {
            if let pixels = item.pixels, pixels.count != size * size * 3 {
                throw LoomError.badInput(path: "batch item \(index)", position: nil,
                                         reason: "\(pixels.count) pixel bytes, expected \(size)×\(size)×3")
            }
            if let visual = item.visual, visual.count != MobileNetV2.featureCount {
                throw LoomError.badInput(path: "batch item \(index)", position: nil,
                                         reason: "\(visual.count) backbone features, expected \(MobileNetV2.featureCount)")
            }
            if let bad = item.tokens.first(where: { $0 < 0 || Int($0) >= config.text.vocabSize }) {
                throw LoomError.badInput(path: "batch item \(index)", position: nil,
                                         reason: "token id \(bad) outside the vocabulary (0..<\(config.text.vocabSize))")
            }
        }
        // Images one by one and text in fixed groups share one pool of workers, so a worker that
        // is done with its images takes up text (and the other way round).
        enum Work: Sendable { case image(Int), text(Range<Int>) }
        enum Result: Sendable { case features([Float]), lastStates([Float]) }
        let textItems = batch.indices.filter { !batch[$0].tokens.isEmpty }
        let groups = stride(from: 0, to: textItems.count, by: Self.textGroup).map {
            textItems[$0]..<(textItems[min($0 + Self.textGroup, textItems.count) - 1] + 1)
        }
        let work = groups.map { Work.text($0) } + batch.indices.filter { batch[$0].visual == nil && batch[$0].pixels != nil }.map { Work.image($0) }
        let results = try ParallelMap.map(work, threads: threads) { item -> Result in
            switch item {
            case .image(let index): .features(visualFeatures(batch[index].pixels!))
            case .text(let range): .lastStates(textFeatures(batch[range].map { $0.tokens }))
            }
        }
        var pooled = batch.map(\.visual)
        var textLast = [[Float]?](repeating: nil, count: batch.count)
        let hidden = config.text.lstmHidden
        for (item, result) in zip(work, results) {
            switch (item, result) {
            case (.image(let index), .features(let features)):
                pooled[index] = features
            case (.text(let range), .lastStates(let states)):
                for (offset, index) in range.enumerated() where !batch[index].tokens.isEmpty {
                    textLast[index] = Array(states[(offset * hidden)..<((offset + 1) * hidden)])
                }
            default:
                preconditionFailure("work and result kinds are paired")
            }
        }
        return fuse(batch: batch, pooled: pooled, textLast: textLast)
    }

    /// Sequences per LSTM work item: enough rows for the recurrent matrix products, small enough
    /// to share between workers. A sequence's result does not depend on its group.
    static let textGroup = 16

    /// The pooled 1280-d MobileNetV2 features of one image.
    public func visualFeatures(_ pixels: [UInt8]) -> [Float] {
        let size = config.imageSize
        return scratch.with(count: size * size * 3 + MobileNetV2.workspaceCount(size: size)) { input in
            pixels.withUnsafeBufferPointer { preprocessing.normalise($0.baseAddress!, pixels: size * size, into: input) }
            var result = [Float](repeating: 0, count: MobileNetV2.featureCount)
            result.withUnsafeMutableBufferPointer {
                visual.pooledFeatures(image: input, size: size, workspace: input + size * size * 3, into: $0.baseAddress!)
            }
            return result
        }
    }

    /// The top LSTM layer's output pooled over each sequence (`text.pooling`: at the last token,
    /// or the mean), one row of `lstm_hidden` floats per sequence (zeros for an empty one).
    func textFeatures(_ sequences: [[Int32]]) -> [Float] {
        let width = config.text.embeddingDim
        let lengths = sequences.map(\.count)
        let tokens = lengths.reduce(0, +)
        var output = [Float](repeating: 0, count: lengths.count * config.text.lstmHidden)
        scratch.with(count: tokens * width + lstm.scratchCount(tokens: tokens, sequences: lengths.count)) { buffer in
            var row = 0
            for sequence in sequences {
                for token in sequence {
                    (buffer + row * width).update(from: tokenEmbedding.pointer + Int(token) * width, count: width)
                    row += 1
                }
            }
            output.withUnsafeMutableBufferPointer {
                lstm.pooledHidden(inputs: buffer, lengths: lengths, pooling: config.text.pooling, into: $0.baseAddress!,
                                  scratch: buffer + tokens * width)
            }
        }
        return output
    }

    /// Projections, fusion MLP and L2 normalisation for the whole batch.
    func fuse(batch: [Input], pooled: [[Float]?], textLast: [[Float]?]) -> [Output] {
        let count = batch.count
        let dim = config.embeddingDim
        let pooledRows = FloatBuffer(count: count * MobileNetV2.featureCount)
        let textRows = FloatBuffer(count: count * config.text.lstmHidden)
        for index in 0..<count {
            if let features = pooled[index] { (pooledRows.pointer + index * features.count).update(from: features, count: features.count) }
            if let features = textLast[index] { (textRows.pointer + index * features.count).update(from: features, count: features.count) }
        }
        let visualProjected = FloatBuffer(count: count * dim)
        let textProjected = FloatBuffer(count: count * dim)
        visualProjection.apply(pooledRows.pointer, rows: count, into: visualProjected.pointer)
        textProjection.apply(textRows.pointer, rows: count, into: textProjected.pointer)
        let fused = FloatBuffer(count: count * 2 * dim)
        for index in 0..<count {
            // A missing tower contributes zeros, not its bias.
            if pooled[index] != nil { (fused.pointer + index * 2 * dim).update(from: visualProjected.pointer + index * dim, count: dim) }
            if textLast[index] != nil { (fused.pointer + index * 2 * dim + dim).update(from: textProjected.pointer + index * dim, count: dim) }
        }
        let hiddenRows = FloatBuffer(count: count * config.fusionHidden)
        fusionHidden.apply(fused.pointer, rows: count, into: hiddenRows.pointer)
        let embeddings = FloatBuffer(count: count * dim)
        fusionOutput.apply(hiddenRows.pointer, rows: count, into: embeddings.pointer)
        return (0..<count).map { index in
            VectorMath.normalise(embeddings.pointer + index * dim, count: dim)
            return Output(embedding: Array(UnsafeBufferPointer(start: embeddings.pointer + index * dim, count: dim)),
                          visualPooled: pooled[index], textLast: textLast[index])
        }
    }
}
