import Foundation

/// A small, fast, reproducible generator (SplitMix64). Loom never draws from the system generator
/// or from thread timing: every random choice comes from one of these, seeded by the run seed and
/// keyed by what is being decided (an asin, a pair), so results are the same at any thread count
/// and in any shard.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    /// A generator for one decision: the run seed combined with a stable hash of `key`.
    public init(seed: UInt64, key: String) {
        state = seed ^ (Shard.stableHash(key) &* 0x9E37_79B9_7F4A_7C15)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// A standard normal deviate (Box–Muller; one per call, so the sequence never depends on
    /// how many were asked for before).
    public mutating func normal() -> Double {
        let u = 1 - unit()   // (0, 1]: log never sees 0
        let v = unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }

    /// `count` uniform floats in [-1, 1): test and benchmark tensors.
    public mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float(next() >> 40) / Float(1 << 23) - 1 }
    }

    /// One element of a non-empty collection.
    public mutating func pick<C: Collection>(_ items: C) -> C.Element where C.Index == Int {
        items[items.startIndex + Int(next() % UInt64(items.count))]
    }

    /// Fisher–Yates with this generator (Swift's `shuffle(using:)` algorithm is not guaranteed stable
    /// across Swift versions; this one is).
    public mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            items.swapAt(i, j)
        }
    }
}
