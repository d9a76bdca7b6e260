import Foundation
import LoomCore
import LoomKernels
import Testing
@testable import LoomInference
@testable import LoomTrain

/// The training backward passes against central finite differences of an independent, naive
/// float64 forward pass (the same network written as plain loops in Double).
@Suite struct TrainingGradientTests {
    /// A LoomNet small enough for finite differences: 5 visual features, vocabulary 11,
    /// embedding 3, two LSTM layers of 4, fusion 6, output 4.
    static func tinyConfig(pooling: TextPooling = .last) throws -> LoomNetConfig {
        let json = """
            {"architecture": "loomnet-v1", "image_size": 224, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
             "visual": {"backbone": "mobilenet_v2", "features": 5, "batchnorm_eps": 1e-05},
             "text": {"tokenizer": "bert-base-uncased-wordpiece", "vocab_size": 11, "embedding_dim": 3, "lstm_hidden": 4,
                      "lstm_layers": 2, "max_len": 64, "pad_id": 0, "pooling": "\(pooling.rawValue)"},
             "fusion_hidden": 6, "embedding_dim": 4}
            """
        return try JSONDecoder().decode(LoomNetConfig.self, from: Data(json.utf8))
    }

    /// Parameters from the PyTorch-style initialiser, scaled up so that the ReLU and gates are
    /// exercised away from zero.
    static func tinyParameters(seed: UInt64, pooling: TextPooling = .last) throws -> HeadParameters {
        let config = try tinyConfig(pooling: pooling)
        let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: seed), origin: "test"))
        for tensor in parameters.tensors {
            for i in 0..<tensor.count { tensor.value.pointer[i] *= 1.5 }
        }
        return parameters
    }

    /// Mixed batch: both towers, image only, text only, different lengths, a repeated token.
    static func tinyItems() -> [HeadsTraining.Item] {
        var random = SeededRandom(seed: 7)
        func features() -> [Float] { (0..<5).map { _ in Float(random.unit() * 2 - 1) } }
        return [
            .init(visual: features(), tokens: [1, 4, 4, 9, 2]),
            .init(visual: features(), tokens: [1, 7, 2]),
            .init(visual: nil, tokens: [1, 3, 5, 6, 8, 10, 2]),
            .init(visual: features(), tokens: []),
            .init(visual: features(), tokens: [1, 2]),
        ]
    }

    static let triplets: [TripletLoss.Triplet] = [
        .init(anchor: 0, positive: 1, negative: 2, weight: 1.0),
        .init(anchor: 1, positive: 3, negative: 4, weight: 0.5),
        .init(anchor: 2, positive: 4, negative: 0, weight: 2.0),
        .init(anchor: 3, positive: 0, negative: 1, weight: 1.25),
        .init(anchor: 4, positive: 2, negative: 3, weight: 0.75),
    ]
    static let margin: Float = 2.5   // every hinge active: no kink near the evaluation point

    @Test func tripletLossGradientMatchesFiniteDifferences() throws {
        var random = SeededRandom(seed: 3)
        let rows = 5, dim = 4
        let embeddings = (0..<(rows * dim)).map { _ in Float(random.unit() * 2 - 1) }
        // A margin between the triplets' score gaps: some hinges active, some not, none at the kink.
        let gaps = Self.triplets.map { t -> Float in
            (0..<dim).reduce(0) { $0 + embeddings[t.anchor * dim + $1] * (embeddings[t.positive * dim + $1] - embeddings[t.negative * dim + $1]) }
        }.sorted()
        let margin = (gaps[1] + gaps[2]) / 2
        var gradient = [Float](repeating: 0, count: rows * dim)
        _ = TripletLoss.evaluate(Self.triplets, embeddings: embeddings, rows: rows, dim: dim, margin: margin, gradient: &gradient)
        func reference(_ e: [Double]) -> Double {
            let total = Self.triplets.reduce(0.0) { $0 + Double($1.weight) }
            return Self.triplets.reduce(0.0) { sum, t in
                func dot(_ x: Int, _ y: Int) -> Double { (0..<dim).reduce(0.0) { $0 + e[x * dim + $1] * e[y * dim + $1] } }
                return sum + Double(t.weight) * max(0, Double(margin) - dot(t.anchor, t.positive) + dot(t.anchor, t.negative)) / total
            }
        }
        var active = 0
        for t in Self.triplets {
            func dot(_ x: Int, _ y: Int) -> Float { (0..<dim).reduce(0) { $0 + embeddings[x * dim + $1] * embeddings[y * dim + $1] } }
            let hinge = margin - dot(t.anchor, t.positive) + dot(t.anchor, t.negative)
            #expect(abs(hinge) > 1e-3)
            if hinge > 0 { active += 1 }
        }
        #expect(active > 0 && active < Self.triplets.count, "the test covers active and inactive hinges")
        let h = 1e-6
        for i in embeddings.indices {
            var plus = embeddings.map(Double.init), minus = plus
            plus[i] += h
            minus[i] -= h
            let numeric = (reference(plus) - reference(minus)) / (2 * h)
            #expect(abs(numeric - Double(gradient[i])) < 1e-5, "dL/de[\(i)]: \(gradient[i]) vs \(numeric)")
        }
    }

    /// The spread-out term against finite differences: close vectors (second moment above 1/dim:
    /// both terms active) and short spread ones (M₁² only).
    @Test(arguments: [(0.9, 1.0, true), (0.0, 0.3, false)])
    func spreadOutGradientMatchesFiniteDifferences(shared: Double, scale: Double, secondMomentActive: Bool) throws {
        var random = SeededRandom(seed: 5)
        let rows = 5, dim = 4
        let base = (0..<dim).map { _ in random.unit() * 2 - 1 }
        let embeddings = (0..<(rows * dim)).map { Float(scale * (base[$0 % dim] * shared + (random.unit() * 2 - 1))) }
        let cosines = Self.triplets.map { t in (0..<dim).reduce(0.0) { $0 + Double(embeddings[t.anchor * dim + $1] * embeddings[t.negative * dim + $1]) } }
        #expect((cosines.reduce(0) { $0 + $1 * $1 } / Double(cosines.count) > 1 / Double(dim)) == secondMomentActive)
        var gradient = [Float](repeating: 0, count: rows * dim)
        let value = SpreadOutRegularizer.evaluate(Self.triplets, embeddings: embeddings, dim: dim, weight: 2, gradient: &gradient)
        func reference(_ e: [Double]) -> Double {
            let s = Self.triplets.map { t in (0..<dim).reduce(0.0) { $0 + e[t.anchor * dim + $1] * e[t.negative * dim + $1] } }
            let m1 = s.reduce(0, +) / Double(s.count), m2 = s.reduce(0) { $0 + $1 * $1 } / Double(s.count)
            return m1 * m1 + max(0, m2 - 1 / Double(dim))
        }
        var values = embeddings.map(Double.init)
        #expect(abs(reference(values) - value) < 1e-5)
        let h = 1e-6
        for i in values.indices {
            let saved = values[i]
            values[i] = saved + h
            let plus = reference(values)
            values[i] = saved - h
            let minus = reference(values)
            values[i] = saved
            #expect(abs(2 * (plus - minus) / (2 * h) - Double(gradient[i])) < 1e-4, "dR/de[\(i)]: \(gradient[i])")
        }
        #expect(gradient.contains { $0 != 0 })
    }

    /// InfoNCE against finite differences of an independent reference, for the embeddings and the
    /// log-temperature: anchor 0 has two partners (1 and 3: neither is the other's candidate),
    /// positives are shared across pairs, negatives repeat a positive of the batch.
    @Test func infoNCEGradientMatchesFiniteDifferences() throws {
        var random = SeededRandom(seed: 4)
        let rows = 6, dim = 3
        let embeddings = (0..<(rows * dim)).map { _ in Float(random.unit() * 2 - 1) }
        let pairs: [InfoNCELoss.Pair] = [
            .init(anchor: 0, positive: 1, negatives: [2, 4], weight: 1),
            .init(anchor: 0, positive: 3, negatives: [5], weight: 0.5),
            .init(anchor: 2, positive: 4, negatives: [1, 0], weight: 2),
            .init(anchor: 5, positive: 1, negatives: [3], weight: 1.5),
        ]
        let t = log(0.3)
        var gradient = [Float](repeating: 0, count: rows * dim)
        let (_, dt) = InfoNCELoss.evaluate(pairs, embeddings: embeddings, rows: rows, dim: dim, logTemperature: t, gradient: &gradient)
        func reference(_ e: [Double], _ t: Double) -> Double {
            func dot(_ x: Int, _ y: Int) -> Double { (0..<dim).reduce(0.0) { $0 + e[x * dim + $1] * e[y * dim + $1] } }
            let positives = [1, 3, 4]   // in first-appearance order
            let total = pairs.reduce(0.0) { $0 + Double($1.weight) }
            return pairs.reduce(0.0) { sum, pair in
                let partners = Set(pairs.filter { $0.anchor == pair.anchor }.map(\.positive))
                var candidates = [pair.positive]
                for item in positives + pair.negatives where item != pair.anchor && !partners.contains(item) && !candidates.contains(item) {
                    candidates.append(item)
                }
                let logits = candidates.map { dot(pair.anchor, $0) / exp(t) }
                return sum + Double(pair.weight) / total * (log(logits.map(exp).reduce(0, +)) - logits[0])
            }
        }
        let h = 1e-6
        let base = embeddings.map(Double.init)
        for i in embeddings.indices {
            var plus = base, minus = base
            plus[i] += h
            minus[i] -= h
            let numeric = (reference(plus, t) - reference(minus, t)) / (2 * h)
            #expect(abs(numeric - Double(gradient[i])) < 1e-5, "dL/de[\(i)]: \(gradient[i]) vs \(numeric)")
        }
        let numericT = (reference(base, t + h) - reference(base, t - h)) / (2 * h)
        #expect(abs(numericT - dt) < 1e-6, "dL/dt: \(dt) vs \(numericT)")
        #expect(gradient.contains { $0 != 0 })
    }

    @Test(arguments: [false, true], [TextPooling.last, .mean])
    func everyHeadGradientMatchesFiniteDifferences(dropout: Bool, pooling: TextPooling) throws {
        let parameters = try Self.tinyParameters(seed: 11, pooling: pooling)
        let items = Self.tinyItems()
        let network = HeadsTraining(parameters: parameters, threads: 1)
        let pass = network.forward(items, dropout: dropout ? Dropout(rate: 0.3, seed: 4, key: "test step") : nil)
        var masks: [ReferenceHeads.Masks]?
        if let drawn = pass.masks {
            let features = 5, hidden = 4, fused = 8
            #expect(drawn.fused.array.contains(0) && drawn.fused.array.contains(Float(1 / 0.7)), "some values dropped, the rest scaled")
            let imageRows = items.indices.filter { items[$0].visual != nil }, textRows = items.indices.filter { !items[$0].tokens.isEmpty }
            masks = items.indices.map { item in
                func rows(_ buffer: FloatBuffer, _ row: Int?, _ width: Int) -> [Double]? {
                    row.map { r in (0..<width).map { Double(buffer[r * width + $0]) } }
                }
                return .init(features: rows(drawn.features, imageRows.firstIndex(of: item), features),
                             textLast: rows(drawn.textLast, textRows.firstIndex(of: item), hidden),
                             fused: rows(drawn.fused, item, fused))
            }
        }
        let dim = parameters.config.embeddingDim
        var dE = [Float](repeating: 0, count: items.count * dim)
        let loss = TripletLoss.evaluate(Self.triplets, embeddings: pass.embeddings.pointer, rows: items.count, dim: dim,
                                        margin: Self.margin, gradient: &dE)
        network.backward(pass, gradient: dE)

        var values = parameters.tensors.map { $0.values.map(Double.init) }
        let reference = ReferenceHeads(config: parameters.config, names: parameters.tensors.map(\.name))
        let referenceLoss = reference.loss(values, items: items, triplets: Self.triplets, margin: Double(Self.margin), masks: masks)
        #expect(abs(referenceLoss - loss) < 1e-4, "loss \(loss) vs float64 reference \(referenceLoss)")

        let h = 1e-5
        for (index, tensor) in parameters.tensors.enumerated() {
            var numerics: [Double] = []
            for i in 0..<tensor.count {
                let saved = values[index][i]
                values[index][i] = saved + h
                let plus = reference.loss(values, items: items, triplets: Self.triplets, margin: Double(Self.margin), masks: masks)
                values[index][i] = saved - h
                let minus = reference.loss(values, items: items, triplets: Self.triplets, margin: Double(Self.margin), masks: masks)
                values[index][i] = saved
                numerics.append((plus - minus) / (2 * h))
            }
            // Errors relative to each value, floored at 1% of the tensor's largest (the tensors'
            // scales differ: the first layer's recurrent weights move the pooled mean little).
            let largest = numerics.map(abs).max() ?? 0
            let worst = numerics.indices.map { abs(numerics[$0] - Double(tensor.gradient[$0])) / max(1e-2 * largest, abs(numerics[$0])) }
                .max() ?? 0
            #expect(worst < 2e-3, "\(tensor.name): worst relative error \(worst)")
            #expect(largest > 1e-5, "\(tensor.name): the test exercises this tensor (largest |dL/dθ| \(largest))")
        }
    }

    /// With 256 LSTM units the gate rows are 1024 floats: the backward pass lays its gate
    /// gradient rows out with padding then (against 4 KB aliasing). Directional derivatives,
    /// one random direction per tensor, against the float64 reference (two evaluations each:
    /// finite differences of every weight would take minutes at this width).
    @Test func gradientsHoldAtAWidthWhoseGateRowsArePadded() throws {
        let json = """
            {"architecture": "loomnet-v1", "image_size": 224, "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
             "visual": {"backbone": "mobilenet_v2", "features": 5, "batchnorm_eps": 1e-05},
             "text": {"tokenizer": "bert-base-uncased-wordpiece", "vocab_size": 11, "embedding_dim": 3, "lstm_hidden": 256,
                      "lstm_layers": 2, "max_len": 64, "pad_id": 0, "pooling": "last"},
             "fusion_hidden": 6, "embedding_dim": 4}
            """
        let config = try JSONDecoder().decode(LoomNetConfig.self, from: Data(json.utf8))
        let parameters = try HeadParameters(config: config, source: TensorSet(HeadInitialiser.heads(config, seed: 5), origin: "test"))
        for tensor in parameters.tensors where !tensor.name.hasPrefix("text.lstm") {
            for i in 0..<tensor.count { tensor.value.pointer[i] *= 1.5 }
        }
        var random = SeededRandom(seed: 9)
        func features() -> [Float] { (0..<5).map { _ in Float(random.unit() * 2 - 1) } }
        let items: [HeadsTraining.Item] = [
            .init(visual: features(), tokens: [1, 4, 9]), .init(visual: nil, tokens: [1, 7]),
            .init(visual: features(), tokens: [1, 3, 5, 2]),
        ]
        let triplets: [TripletLoss.Triplet] = [
            .init(anchor: 0, positive: 1, negative: 2, weight: 1), .init(anchor: 1, positive: 2, negative: 0, weight: 0.5),
            .init(anchor: 2, positive: 0, negative: 1, weight: 2),
        ]
        Self.tripletStep(parameters, items: items, triplets: triplets, threads: 2)

        Self.expectDirectionalDerivatives(parameters, prefix: "text.", items: items, triplets: triplets, random: &random, moves: 1e-5)
    }

    /// One forward and backward pass of the triplet loss: every gradient set.
    static func tripletStep(_ parameters: HeadParameters, items: [HeadsTraining.Item], triplets: [TripletLoss.Triplet], threads: Int) {
        let network = HeadsTraining(parameters: parameters, threads: threads)
        let pass = network.forward(items)
        let dim = parameters.config.embeddingDim
        var dE = [Float](repeating: 0, count: items.count * dim)
        _ = TripletLoss.evaluate(triplets, embeddings: pass.embeddings.pointer, rows: items.count, dim: dim, margin: Self.margin,
                                 gradient: &dE)
        network.backward(pass, gradient: dE)
    }

    /// For each tensor whose name starts with `prefix`, the computed gradient along one random
    /// direction against the float64 reference's central difference (two evaluations a tensor).
    static func expectDirectionalDerivatives(_ parameters: HeadParameters, prefix: String, items: [HeadsTraining.Item],
                                             triplets: [TripletLoss.Triplet], random: inout SeededRandom, moves: Double) {
        let values = parameters.tensors.map { $0.values.map(Double.init) }
        let reference = ReferenceHeads(config: parameters.config, names: parameters.tensors.map(\.name))
        let h = 1e-4
        for (index, tensor) in parameters.tensors.enumerated() where tensor.name.hasPrefix(prefix) {
            let direction = (0..<tensor.count).map { _ in random.unit() * 2 - 1 }
            var plus = values, minus = values
            for i in 0..<tensor.count {
                plus[index][i] += h * direction[i]
                minus[index][i] -= h * direction[i]
            }
            let numeric = (reference.loss(plus, items: items, triplets: triplets, margin: Double(Self.margin))
                - reference.loss(minus, items: items, triplets: triplets, margin: Double(Self.margin))) / (2 * h)
            let analytic = (0..<tensor.count).reduce(0.0) { $0 + Double(tensor.gradient[$1]) * direction[$1] }
            #expect(abs(numeric) > moves, "\(tensor.name): the direction moves the loss")
            #expect(abs(numeric - analytic) <= 2e-3 * abs(numeric) + 1e-7, "\(tensor.name): \(analytic) vs \(numeric)")
        }
    }

    /// A batch whose step 0 fills a whole depth block of the recurrent weight gradient (300
    /// sequences of two tokens: 600 rows in three blocks of 200, the first all step 0), which the
    /// backward pass leaves out (h₋₁ = 0).
    /// Directional derivatives of the LSTM tensors against the float64 reference; pad tokens
    /// (id 0) get no embedding gradient and are not among the touched rows.
    @Test func gradientsHoldWhenStepZeroFillsWholeBlocks() throws {
        let parameters = try Self.tinyParameters(seed: 3)
        let config = parameters.config
        var random = SeededRandom(seed: 21)
        let items: [HeadsTraining.Item] = (0..<300).map { i in
            .init(visual: i % 3 == 0 ? nil : (0..<5).map { _ in Float(random.unit() * 2 - 1) },
                  tokens: [1, Int32(random.int(in: 0...10))])
        }
        #expect(items.contains { $0.tokens.contains(0) }, "the batch has pad tokens")
        let triplets: [TripletLoss.Triplet] = (0..<100).map { .init(anchor: 3 * $0, positive: 3 * $0 + 1, negative: 3 * $0 + 2, weight: 1) }
        Self.tripletStep(parameters, items: items, triplets: triplets, threads: 2)
        let table = parameters["text.embedding.weight"]
        let used = Set(items.flatMap(\.tokens)).subtracting([0]).map(Int.init).sorted()
        #expect(table.touchedRows == used)
        #expect((0..<config.text.embeddingDim).allSatisfy { table.gradient[$0] == 0 }, "the pad row has no gradient")

        Self.expectDirectionalDerivatives(parameters, prefix: "text.lstm", items: items, triplets: triplets, random: &random, moves: 1e-6)
    }
}

/// LoomNet's heads in float64, written as plain loops straight from the definitions (PyTorch's
/// LSTM equations, Linear as x·Wᵀ + b), with no code shared with the float kernels.
struct ReferenceHeads {
    let config: LoomNetConfig
    let names: [String]

    /// Dropout factors per item: visual features, the LSTM's last state, the fused vector.
    struct Masks {
        var features: [Double]?
        var textLast: [Double]?
        var fused: [Double]?
    }

    func loss(_ values: [[Double]], items: [HeadsTraining.Item], triplets: [TripletLoss.Triplet], margin: Double,
              masks: [Masks]? = nil) -> Double {
        let tensors = Dictionary(uniqueKeysWithValues: zip(names, values))
        let embeddings = items.indices.map { embed(items[$0], tensors, masks: masks?[$0] ?? Masks()) }
        let total = triplets.reduce(0.0) { $0 + Double($1.weight) }
        func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        return triplets.reduce(0.0) { sum, t in
            let hinge = margin - dot(embeddings[t.anchor], embeddings[t.positive]) + dot(embeddings[t.anchor], embeddings[t.negative])
            return sum + Double(t.weight) * max(0, hinge) / total
        }
    }

    func linear(_ x: [Double], _ name: String, _ t: [String: [Double]]) -> [Double] {
        let w = t[name + ".weight"]!, b = t[name + ".bias"]!
        var y = b
        for o in 0..<b.count {
            for k in 0..<x.count { y[o] += w[o * x.count + k] * x[k] }
        }
        return y
    }

    func embed(_ item: HeadsTraining.Item, _ t: [String: [Double]], masks: Masks) -> [Double] {
        let dim = config.embeddingDim, text = config.text
        func masked(_ x: [Double], _ mask: [Double]?) -> [Double] { mask.map { zip(x, $0).map { $0 * $1 } } ?? x }
        let visual = item.visual.map { linear(masked($0.map(Double.init), masks.features), "visual.proj", t) }
            ?? [Double](repeating: 0, count: dim)
        var textVector = [Double](repeating: 0, count: dim)
        if !item.tokens.isEmpty {
            let table = t["text.embedding.weight"]!
            var sequence = item.tokens.map { token in (0..<text.embeddingDim).map { table[Int(token) * text.embeddingDim + $0] } }
            let H = text.lstmHidden
            for layer in 0..<text.lstmLayers {
                let wih = t["text.lstm.weight_ih_l\(layer)"]!, whh = t["text.lstm.weight_hh_l\(layer)"]!
                let bih = t["text.lstm.bias_ih_l\(layer)"]!, bhh = t["text.lstm.bias_hh_l\(layer)"]!
                var h = [Double](repeating: 0, count: H), c = h
                var outputs: [[Double]] = []
                for x in sequence {
                    var pre = [Double](repeating: 0, count: 4 * H)
                    for g in 0..<(4 * H) {
                        pre[g] = bih[g] + bhh[g]
                        for k in 0..<x.count { pre[g] += wih[g * x.count + k] * x[k] }
                        for k in 0..<H { pre[g] += whh[g * H + k] * h[k] }
                    }
                    func sigmoid(_ v: Double) -> Double { 1 / (1 + Foundation.exp(-v)) }
                    for u in 0..<H {
                        let i = sigmoid(pre[u]), f = sigmoid(pre[H + u]), g = Foundation.tanh(pre[2 * H + u]), o = sigmoid(pre[3 * H + u])
                        c[u] = f * c[u] + i * g
                        h[u] = o * Foundation.tanh(c[u])
                    }
                    outputs.append(h)
                }
                sequence = outputs
            }
            let pooled = switch text.pooling {
            case .last: sequence.last!
            case .mean: (0..<H).map { u in sequence.reduce(0.0) { $0 + $1[u] } / Double(sequence.count) }
            }
            textVector = linear(masked(pooled, masks.textLast), "text.proj", t)
        }
        let hidden = linear(masked(visual + textVector, masks.fused), "fusion.0", t).map { max(0, $0) }
        let y = linear(hidden, "fusion.2", t)
        let norm = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return y.map { $0 / norm }
    }
}
