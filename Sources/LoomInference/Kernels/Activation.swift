/// What a kernel applies to its output before storing it (fused into the producer, so the
/// activation costs no extra pass over memory).
public enum Activation: Sendable, Equatable {
    case none
    case relu
    case relu6

    // Transparent: with @inline(__always) alone the SGEMM epilogue still called this once per
    // vector (halving each SIMD8 across the call); inlined, the clamps become vmaxps/vminps.
    @_transparent
    func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
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

    @inline(__always)
    func apply(_ value: Float) -> Float {
        switch self {
        case .none: return value
        case .relu: return max(value, 0)
        case .relu6: return min(max(value, 0), 6)
        }
    }
}
