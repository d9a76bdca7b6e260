/// What a kernel applies to its output before storing it (fused into the producer, so the
/// activation costs no extra pass over memory).
public enum Activation: Sendable, Equatable {
    case none
    case relu
    case relu6

    // Transparent: with @inline(__always) alone the SGEMM epilogue still called this once per
    // vector (halving each SIMD8 across the call); inlined, the clamps become vmaxps/vminps.
    @_transparent
    public func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .none: return value
        // Compare-and-select (the stdlib's generic pointwiseMax/Min stay out-of-line calls).
        case .relu:
            let zero = SIMD8<Float>()
            return value.replacing(with: zero, where: value .< zero)
        case .relu6:
            let zero = SIMD8<Float>(), six = SIMD8<Float>(repeating: 6)
            let positive = value.replacing(with: zero, where: value .< zero)
            return positive.replacing(with: six, where: positive .> six)
        }
    }

    @inlinable @inline(__always)
    public func apply(_ value: Float) -> Float {
        switch self {
        case .none: return value
        case .relu: return max(value, 0)
        case .relu6: return min(max(value, 0), 6)
        }
    }

    /// The activation as a clamp to [lower, upper] (−∞/+∞ where it has no bound): loops load
    /// the bounds once and clamp without a branch on the kind per vector.
    @inlinable
    public var bounds: Bounds {
        switch self {
        case .none: Bounds(lower: SIMD8(repeating: -.infinity), upper: SIMD8(repeating: .infinity))
        case .relu: Bounds(lower: SIMD8(), upper: SIMD8(repeating: .infinity))
        case .relu6: Bounds(lower: SIMD8(), upper: SIMD8(repeating: 6))
        }
    }

    public struct Bounds {
        public let lower: SIMD8<Float>
        public let upper: SIMD8<Float>

        @inlinable
        public init(lower: SIMD8<Float>, upper: SIMD8<Float>) {
            self.lower = lower
            self.upper = upper
        }

        /// The same values as `Activation.apply` (a NaN stays NaN).
        @_transparent
        public func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
            let raised = value.replacing(with: lower, where: value .< lower)
            return raised.replacing(with: upper, where: raised .> upper)
        }
    }
}
