import CLoomKernels
import Foundation
import LoomInference
import LoomKernels

/// Adam (Kingma & Ba; PyTorch's defaults β = 0.9, 0.999, ε = 1e-8, no weight decay) with
/// clipping of the global gradient norm. The embedding table's gradient is sparse: only rows
/// that ever had a gradient are visited, which gives exactly dense Adam's result (a row whose
/// moments are zero does not move).
public final class AdamOptimizer: @unchecked Sendable {
    public var learningRate: Float
    public let beta1: Float = 0.9
    public let beta2: Float = 0.999
    public let epsilon: Float = 1e-8
    public let maxGradientNorm: Float
    /// Threads the update runs on: each value's update is the same arithmetic wherever it runs.
    public var threads = 1
    public private(set) var step: Int = 0
    let first: [FloatBuffer]
    let second: [FloatBuffer]
    /// Per sparse tensor: rows that have moments (sorted).
    var liveRows: [Int: [Int]] = [:]
    private var live: [Int: [Bool]] = [:]

    public init(parameters: HeadParameters, learningRate: Float, maxGradientNorm: Float) {
        self.learningRate = learningRate
        self.maxGradientNorm = maxGradientNorm
        first = parameters.tensors.map { FloatBuffer(count: $0.count) }
        second = parameters.tensors.map { FloatBuffer(count: $0.count) }
        for (index, tensor) in parameters.tensors.enumerated() where tensor.touchedRows != nil {
            liveRows[index] = []
            live[index] = [Bool](repeating: false, count: tensor.shape[0])
        }
    }

    /// The global L2 norm of the gradients, summed tensor by tensor in order. Squares are exact in
    /// Double; they go into sixteen running sums (sixteen values at a time, a short last group
    /// zero-padded), added up in a fixed order at the end: deterministic, and under half the time
    /// of one running sum, whose adds wait on each other (2.65 million values a step at the
    /// bench's shapes: 3.0 → 1.3 ms).
    public static func gradientNorm(_ parameters: HeadParameters) -> Double {
        var sums = (SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>(), SIMD4<Double>())
        func add(_ values: UnsafeRawPointer, count: Int) {
            var i = 0
            while i < count {
                let low = Lanes.load(values, floatOffset: i, count: count - i)
                let high = Lanes.load(values, floatOffset: i + 8, count: max(0, count - i - 8))
                let (a, b) = (SIMD4<Double>(low.lowHalf), SIMD4<Double>(low.highHalf))
                let (c, d) = (SIMD4<Double>(high.lowHalf), SIMD4<Double>(high.highHalf))
                sums.0 += a * a
                sums.1 += b * b
                sums.2 += c * c
                sums.3 += d * d
                i += 16
            }
        }
        for tensor in parameters.tensors {
            let g = UnsafeRawPointer(tensor.gradient.pointer)
            if let rows = tensor.touchedRows {
                let width = tensor.shape[1]
                for row in rows { add(g + row * width * 4, count: width) }
            } else {
                add(g, count: tensor.count)
            }
        }
        let total = (sums.0 + sums.1) + (sums.2 + sums.3)
        return ((total[0] + total[1]) + (total[2] + total[3])).squareRoot()
    }

    /// Clips, then updates every parameter. Returns the norm before clipping.
    @discardableResult
    public func update(_ parameters: HeadParameters) -> Double {
        let norm = Self.gradientNorm(parameters)
        let clip: Float = maxGradientNorm > 0 && norm > Double(maxGradientNorm) ? Float(Double(maxGradientNorm) / (norm + 1e-6)) : 1
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        // clip, β1, β2, 1 − β1, 1 − β2, the step size, √(bias correction 2), ε, for the C update
        // (AdamOptimizer's arithmetic in its order, eight values at a time: the bits of one at a time).
        let constants: [Float] = [clip, beta1, beta2, 1 - beta1, 1 - beta2, learningRate / correction1, correction2.squareRoot(), epsilon]
        constants.withUnsafeBufferPointer { constants in
            // Raw addresses cross into the workers; each updates only its own values.
            let constantAddress = Int(bitPattern: constants.baseAddress)
            for (index, tensor) in parameters.tensors.enumerated() {
                let (value, gradient) = (Int(bitPattern: tensor.value.pointer), Int(bitPattern: tensor.gradient.pointer))
                let (m, v) = (Int(bitPattern: first[index].pointer), Int(bitPattern: second[index].pointer))
                /// Rows `rows` (`width` floats each) of the tensor from float `offset` on.
                func update(offset: Int, rows: UnsafePointer<Int64>, count: Int, width: Int) {
                    func at(_ address: Int) -> UnsafeMutablePointer<Float> { UnsafeMutablePointer(bitPattern: address)! + offset }
                    loom_adam_rows(at(value), at(gradient), at(m), at(v), rows, count, width, UnsafePointer(bitPattern: constantAddress))
                }
                if let touched = tensor.touchedRows {
                    let width = tensor.shape[1]
                    for row in touched where !live[index]![row] {
                        live[index]![row] = true
                        liveRows[index]!.append(row)
                    }
                    liveRows[index]!.sort()
                    // The live rows lie anywhere in the table: the C update prefetches the rows ahead.
                    // (Int is Int64 on every target Loom builds for: the row list is passed as it is.)
                    liveRows[index]!.withUnsafeBufferPointer { rows in
                        let rowAddress = Int(bitPattern: rows.baseAddress)
                        WorkSplit.forEach(rows.count, threads: threads, minimum: 512) { part in
                            update(offset: 0, rows: UnsafePointer<Int64>(bitPattern: rowAddress)! + part.lowerBound, count: part.count,
                                   width: width)
                        }
                    }
                } else {
                    WorkSplit.forEach(tensor.count, grain: 16, threads: threads, minimum: 65_536) { part in
                        var wholePart: Int64 = 0   // one row: the part itself
                        update(offset: part.lowerBound, rows: &wholePart, count: 1, width: part.count)
                    }
                }
            }
        }
        return norm
    }

    /// The optimiser's state as tensors (for a checkpoint): moments by parameter name, the
    /// step, and the live rows of sparse tensors.
    public func export(_ parameters: HeadParameters) -> [SafetensorsWriter.Tensor] {
        var tensors: [SafetensorsWriter.Tensor] = []
        for (index, tensor) in parameters.tensors.enumerated() {
            tensors.append(.init(name: "adam.m." + tensor.name, shape: tensor.shape, values: first[index].array))
            tensors.append(.init(name: "adam.v." + tensor.name, shape: tensor.shape, values: second[index].array))
            if let rows = liveRows[index] {
                tensors.append(.init(name: "adam.rows." + tensor.name, shape: [rows.count], values: rows.map { Float($0) }))
            }
        }
        return tensors
    }

    /// Restores what `export` wrote, with the step count.
    public func restore(from source: SafetensorsFile, parameters: HeadParameters, step: Int) throws {
        self.step = step
        for (index, tensor) in parameters.tensors.enumerated() {
            first[index].pointer.update(from: try source.floats("adam.m." + tensor.name, shape: tensor.shape), count: tensor.count)
            second[index].pointer.update(from: try source.floats("adam.v." + tensor.name, shape: tensor.shape), count: tensor.count)
            if liveRows[index] != nil, let entry = source.entries["adam.rows." + tensor.name] {
                let rows = try source.floats(entry.name, shape: entry.shape).map { Int($0) }
                liveRows[index] = rows
                live[index] = [Bool](repeating: false, count: tensor.shape[0])
                for row in rows { live[index]![row] = true }
            }
        }
    }
}
