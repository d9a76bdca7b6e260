/// What a kernel applies to its output before storing it (fused into the producer, so the
/// activation costs no extra pass over memory).
public enum Activation: Sendable, Equatable {
    case none
    case relu
    case relu6

    @inline(__always)
    func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .none: return value
        // Compare-and-blend: the stdlib's generic pointwiseMax/Min stay out-of-line calls per vector.
        case .relu: return value.replacing(with: 0, where: value .< 0)
        case .relu6:
            let positive = value.replacing(with: 0, where: value .< 0)
            return positive.replacing(with: 6, where: positive .> 6)
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
