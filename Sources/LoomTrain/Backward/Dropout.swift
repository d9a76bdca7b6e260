import LoomCore
import LoomInference
import LoomKernels

/// Inverted dropout for training: each value is kept with probability 1 − rate and scaled by
/// 1 / (1 − rate), or zeroed. Masks are drawn from a generator keyed by the step and the layer,
/// value by value in order, so a step's masks do not depend on the thread count.
public struct Dropout: Sendable {
    public var rate: Float
    public var seed: UInt64
    /// Names the step (for example "epoch 3 step 7"); each layer adds its own name.
    public var key: String

    public init(rate: Float, seed: UInt64, key: String) {
        precondition(rate >= 0 && rate < 1, "dropout rate must be in [0, 1)")
        self.rate = rate
        self.seed = seed
        self.key = key
    }

    /// Zeroes and scales `count` values in place; returns the factor applied to each.
    func apply(_ values: UnsafeMutablePointer<Float>, count: Int, layer: String, arena: TrainingArena) -> FloatBuffer {
        let mask = arena.take(count)
        var random = SeededRandom(seed: seed, key: key + " " + layer)
        let keep = 1 / (1 - rate), threshold = Double(rate)
        for i in 0..<count {
            mask[i] = random.unit() < threshold ? 0 : keep
            values[i] *= mask[i]
        }
        return mask
    }
}
