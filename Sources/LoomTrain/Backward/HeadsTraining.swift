import LoomInference
import LoomKernels
/// LoomNet's heads as a trainable network over cached visual features: forward passes that keep
/// their activations, and the backward pass from dL/d(embedding) to every head gradient.
///
/// visual features → `visual.proj`; tokens → `text.embedding` → LSTM → last step (or the mean
/// over steps, `text.pooling`) → `text.proj`;
/// concat (a missing tower is zeros and gets no gradient) → `fusion.0` → ReLU → `fusion.2` →
/// L2 normalisation. Products run on the packed SGEMM split over `threads` (the same bits at
/// any thread count); sums outside it run in a fixed order.
public final class HeadsTraining: @unchecked Sendable {
    /// One item: its pooled backbone features (nil: no image) and token ids (empty: no text).
    public struct Item: Sendable {
        public var visual: [Float]?
        public var tokens: [Int32]
        public init(visual: [Float]?, tokens: [Int32]) {
            self.visual = visual
            self.tokens = tokens
        }
    }

    /// A forward pass over a batch and what its backward pass needs.
    public final class Pass: @unchecked Sendable {
        public let count: Int
        let imageItems: [Int]
        let textItems: [Int]
        let features: FloatBuffer
        /// The batch's distinct tokens, in id order (layer 0's distinct inputs).
        let tokens: [Int32]
        let tape: LSTMTraining.Tape
        let textLast: FloatBuffer
        let fused: FloatBuffer
        let hidden: FloatBuffer
        let norms: [Float]
        /// Dropout factors of the visual features, the LSTM's last states and the fused vector (nil: none).
        public internal(set) var masks: (features: FloatBuffer, textLast: FloatBuffer, fused: FloatBuffer)?
        /// `count` rows of `embeddingDim` floats, unit length.
        public let embeddings: FloatBuffer

        init(count: Int, imageItems: [Int], textItems: [Int], features: FloatBuffer, tokens: [Int32], tape: LSTMTraining.Tape,
             textLast: FloatBuffer, fused: FloatBuffer, hidden: FloatBuffer, norms: [Float], embeddings: FloatBuffer) {
            self.count = count
            self.imageItems = imageItems
            self.textItems = textItems
            self.features = features
            self.tokens = tokens
            self.tape = tape
            self.textLast = textLast
            self.fused = fused
            self.hidden = hidden
            self.norms = norms
            self.embeddings = embeddings
        }

        public func embedding(_ item: Int) -> UnsafeBufferPointer<Float> {
            let dim = embeddings.count / max(1, count)
            return UnsafeBufferPointer(start: embeddings.pointer + item * dim, count: dim)
        }
    }

    public let parameters: HeadParameters
    public var threads: Int
    let lstm: LSTMTraining
    let config: LoomNetConfig
    /// Buffers reused from step to step; a pass's buffers stay valid until the next forward pass.
    let arena = TrainingArena()

    public init(parameters: HeadParameters, threads: Int = 1) {
        self.parameters = parameters
        self.threads = max(1, threads)
        config = parameters.config
        lstm = LSTMTraining(hidden: config.text.lstmHidden, inputSize: config.text.embeddingDim, layers: config.text.lstmLayers)
    }

    var lstmWeights: [LSTMTraining.Weights] {
        (0..<config.text.lstmLayers).map { layer in
            let ih = parameters["text.lstm.weight_ih_l\(layer)"], hh = parameters["text.lstm.weight_hh_l\(layer)"]
            let bih = parameters["text.lstm.bias_ih_l\(layer)"], bhh = parameters["text.lstm.bias_hh_l\(layer)"]
            return .init(inputWeight: ih.value.pointer, recurrentWeight: hh.value.pointer, inputBias: bih.value.pointer,
                         recurrentBias: bhh.value.pointer, inputGradient: ih.gradient.pointer,
                         recurrentGradient: hh.gradient.pointer, inputBiasGradient: bih.gradient.pointer,
                         recurrentBiasGradient: bhh.gradient.pointer)
        }
    }

    private func linear(_ name: String, _ x: UnsafePointer<Float>, rows: Int, inputs: Int, outputs: Int,
                        into y: UnsafeMutablePointer<Float>, activation: Activation = .none) {
        LinearAlgebra.forward(x, rows: rows, weight: parameters[name + ".weight"].value.pointer,
                              bias: parameters[name + ".bias"].value.pointer, inputs: inputs, outputs: outputs, into: y,
                              activation: activation, threads: threads, arena: arena)
    }

    /// `dropout` (training only) drops visual features, the LSTM's last states and the fused
    /// vector before their linear layers.
    public func forward(_ items: [Item], dropout: Dropout? = nil) -> Pass {
        arena.reset()
        let n = items.count, dim = config.embeddingDim, features = config.visual.features
        let hiddenWidth = config.text.lstmHidden, width = config.text.embeddingDim, fusionWidth = config.fusionHidden
        for item in items {
            precondition(item.visual.map { $0.count == features } ?? true, "visual features must have \(features) values")
        }
        let imageItems = items.indices.filter { items[$0].visual != nil }
        let textItems = items.indices.filter { !items[$0].tokens.isEmpty }

        let featureRows = arena.take(imageItems.count * features)
        for (row, item) in imageItems.enumerated() { (featureRows.pointer + row * features).update(from: items[item].visual!, count: features) }
        let featureMask = dropout?.apply(featureRows.pointer, count: featureRows.count, layer: "visual features", arena: arena)
        let visual = arena.take(imageItems.count * dim)
        linear("visual.proj", featureRows.pointer, rows: imageItems.count, inputs: features, outputs: dim, into: visual.pointer)

        // Token rows in the LSTM's time-major order (step by step, longest sequences first).
        let tape = LSTMTraining.Tape(lengths: textItems.map { items[$0].tokens.count })
        var tokens = [Int32](repeating: 0, count: tape.total)
        for (s, item) in textItems.enumerated() {
            for (step, token) in items[item].tokens.enumerated() { tokens[tape.row(s, step: step)] = token }
        }
        // The LSTM's first layer takes each distinct token's embedding once (in id order) and
        // each row's place among them.
        for token in tokens { precondition(token >= 0 && Int(token) < config.text.vocabSize, "token id \(token) outside the vocabulary") }
        let distinctTokens = Set(tokens).sorted()
        var place = [Int32: Int32](minimumCapacity: distinctTokens.count)
        for (u, token) in distinctTokens.enumerated() { place[token] = Int32(u) }
        let table = parameters["text.embedding.weight"].value.pointer
        let embedded = arena.take(distinctTokens.count * width)
        for (u, token) in distinctTokens.enumerated() { (embedded.pointer + u * width).update(from: table + Int(token) * width, count: width) }
        lstm.forward(distinctInputs: embedded, inputIndex: tokens.map { place[$0]! }, tape: tape, weights: lstmWeights, threads: threads,
                     arena: arena)
        let textLast = arena.take(textItems.count * hiddenWidth)
        if let top = tape.outputs.last {
            let pooled = arena.take(tape.maxLength * hiddenWidth)   // one sequence's rows, for the mean
            for s in textItems.indices {
                let row = textLast.pointer + s * hiddenWidth
                switch config.text.pooling {
                case .last:
                    row.update(from: top.pointer + tape.lastRow(s) * hiddenWidth, count: hiddenWidth)
                case .mean:
                    // The tape is time-major: gather the sequence's rows, then pool them as inference does.
                    let length = tape.lengths[s]
                    for step in 0..<length {
                        (pooled.pointer + step * hiddenWidth).update(from: top.pointer + tape.row(s, step: step) * hiddenWidth, count: hiddenWidth)
                    }
                    TextLSTM.meanRows(pooled.pointer, rows: length, width: hiddenWidth, into: row)
                }
            }
        }
        let textMask = dropout?.apply(textLast.pointer, count: textLast.count, layer: "text last state", arena: arena)
        let text = arena.take(textItems.count * dim)
        linear("text.proj", textLast.pointer, rows: textItems.count, inputs: hiddenWidth, outputs: dim, into: text.pointer)

        let fused = arena.take(n * 2 * dim, zeroed: true)
        for (row, item) in imageItems.enumerated() { (fused.pointer + item * 2 * dim).update(from: visual.pointer + row * dim, count: dim) }
        for (row, item) in textItems.enumerated() { (fused.pointer + item * 2 * dim + dim).update(from: text.pointer + row * dim, count: dim) }
        let fusedMask = dropout?.apply(fused.pointer, count: fused.count, layer: "fused", arena: arena)
        let hidden = arena.take(n * fusionWidth)
        linear("fusion.0", fused.pointer, rows: n, inputs: 2 * dim, outputs: fusionWidth, into: hidden.pointer, activation: .relu)
        let embeddings = arena.take(n * dim)
        linear("fusion.2", hidden.pointer, rows: n, inputs: fusionWidth, outputs: dim, into: embeddings.pointer)
        var norms = [Float](repeating: 0, count: n)
        for item in 0..<n {
            let row = embeddings.pointer + item * dim
            var sum: Double = 0
            for i in 0..<dim { sum += Double(row[i]) * Double(row[i]) }
            norms[item] = Float(sum.squareRoot())
            let scale: Float = norms[item] > 0 ? 1 / norms[item] : 0
            for i in 0..<dim { row[i] *= scale }
        }
        let pass = Pass(count: n, imageItems: imageItems, textItems: textItems, features: featureRows, tokens: distinctTokens, tape: tape,
                        textLast: textLast, fused: fused, hidden: hidden, norms: norms, embeddings: embeddings)
        if let featureMask, let textMask, let fusedMask { pass.masks = (featureMask, textMask, fusedMask) }
        return pass
    }

    /// Sets every head gradient to dL/dθ for dL/d(embeddings) = `gradient` (`count` rows).
    public func backward(_ pass: Pass, gradient: UnsafePointer<Float>) {
        parameters.zeroGradients()
        let n = pass.count, dim = config.embeddingDim, features = config.visual.features
        let hiddenWidth = config.text.lstmHidden, width = config.text.embeddingDim, fusionWidth = config.fusionHidden
        func weight(_ name: String) -> UnsafeMutablePointer<Float> { parameters[name].value.pointer }
        func grad(_ name: String) -> UnsafeMutablePointer<Float> { parameters[name].gradient.pointer }

        // Through the normalisation: dy = (de − e·(e·de)) / |y|.
        let dOutput = arena.take(n * dim)
        for item in 0..<n {
            let e = pass.embeddings.pointer + item * dim, de = gradient + item * dim, dy = dOutput.pointer + item * dim
            var dot: Double = 0
            for i in 0..<dim { dot += Double(e[i]) * Double(de[i]) }
            let scale: Float = pass.norms[item] > 0 ? 1 / pass.norms[item] : 0
            for i in 0..<dim { dy[i] = (de[i] - e[i] * Float(dot)) * scale }
        }
        LinearAlgebra.weightGradient(dOutput.pointer, x: pass.hidden.pointer, rows: n, inputs: fusionWidth, outputs: dim,
                                     weight: grad("fusion.2.weight"), bias: grad("fusion.2.bias"), threads: threads, arena: arena)
        let dHidden = arena.take(n * fusionWidth)
        LinearAlgebra.inputGradient(dOutput.pointer, rows: n, weight: weight("fusion.2.weight"), inputs: fusionWidth, outputs: dim,
                                    into: dHidden.pointer, threads: threads, arena: arena)
        for i in 0..<(n * fusionWidth) where pass.hidden[i] <= 0 { dHidden[i] = 0 }   // ReLU
        LinearAlgebra.weightGradient(dHidden.pointer, x: pass.fused.pointer, rows: n, inputs: 2 * dim, outputs: fusionWidth,
                                     weight: grad("fusion.0.weight"), bias: grad("fusion.0.bias"), threads: threads, arena: arena)
        let dFused = arena.take(n * 2 * dim)
        LinearAlgebra.inputGradient(dHidden.pointer, rows: n, weight: weight("fusion.0.weight"), inputs: 2 * dim, outputs: fusionWidth,
                                    into: dFused.pointer, threads: threads, arena: arena)
        if let masks = pass.masks { for i in 0..<dFused.count { dFused[i] *= masks.fused[i] } }

        // Visual tower: only items with an image.
        let dVisual = arena.take(pass.imageItems.count * dim)
        for (row, item) in pass.imageItems.enumerated() { (dVisual.pointer + row * dim).update(from: dFused.pointer + item * 2 * dim, count: dim) }
        LinearAlgebra.weightGradient(dVisual.pointer, x: pass.features.pointer, rows: pass.imageItems.count, inputs: features,
                                     outputs: dim, weight: grad("visual.proj.weight"), bias: grad("visual.proj.bias"), threads: threads, arena: arena)

        // Text tower: projection, then the LSTM from each sequence's last step.
        let textCount = pass.textItems.count
        let dText = arena.take(textCount * dim)
        for (row, item) in pass.textItems.enumerated() { (dText.pointer + row * dim).update(from: dFused.pointer + item * 2 * dim + dim, count: dim) }
        LinearAlgebra.weightGradient(dText.pointer, x: pass.textLast.pointer, rows: textCount, inputs: hiddenWidth, outputs: dim,
                                     weight: grad("text.proj.weight"), bias: grad("text.proj.bias"), threads: threads, arena: arena)
        let dLast = arena.take(textCount * hiddenWidth)
        LinearAlgebra.inputGradient(dText.pointer, rows: textCount, weight: weight("text.proj.weight"), inputs: hiddenWidth,
                                    outputs: dim, into: dLast.pointer, threads: threads, arena: arena)
        if let masks = pass.masks { for i in 0..<dLast.count { dLast[i] *= masks.textLast[i] } }
        let tape = pass.tape
        let dTop = arena.take(tape.total * hiddenWidth, zeroed: true)
        for s in 0..<textCount {
            let source = dLast.pointer + s * hiddenWidth
            switch config.text.pooling {
            case .last:
                (dTop.pointer + tape.lastRow(s) * hiddenWidth).update(from: source, count: hiddenWidth)
            case .mean:
                let divisor = Float(tape.lengths[s])
                for step in 0..<tape.lengths[s] {
                    let target = dTop.pointer + tape.row(s, step: step) * hiddenWidth
                    for i in 0..<hiddenWidth { target[i] = source[i] / divisor }
                }
            }
        }
        guard tape.total > 0 else { return }   // no text: the LSTM's gradients stay zero
        let dEmbedded = lstm.backward(dTop, tape: tape, weights: lstmWeights, threads: threads, arena: arena)

        // The embedding's gradient is sparse: a row per distinct token seen (the LSTM summed its rows).
        let table = parameters["text.embedding.weight"]
        var touched: [Int] = []
        for (u, token) in pass.tokens.enumerated() where Int(token) != config.text.padId {
            (table.gradient.pointer + Int(token) * width).update(from: dEmbedded.pointer + u * width, count: width)
            touched.append(Int(token))
        }
        table.touchedRows = touched
    }
}
