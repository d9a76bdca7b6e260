/// Vectorised elementwise functions for the LSTM gates and the embedding's normalisation.
/// Same inputs, same bits: nothing here depends on the thread count or the libm in use.
public enum VectorMath {
    /// e^x, ≈ 1 ulp: x = n·ln2 + r with |r| ≤ ln2/2, a degree-6 polynomial for e^r, 2^n by
    /// building the exponent bits.
    @inlinable @inline(__always)
    public static func exp(_ value: SIMD8<Float>) -> SIMD8<Float> {
        // Clamp with compare-and-blend (the stdlib's clamped/pointwiseMin stay calls).
        var x = value.replacing(with: -87, where: value .< -87)
        x.replace(with: 88, where: x .> 88)
        let n = (x * 1.442_695_04).rounded(.toNearestOrEven)
        var r = x - n * 0.693_359_375           // ln 2, high part (exact in float)
        r = r + n * 2.121_944_4e-4               // ln 2, low part correction (ln2 = hi - lo)
        var p = SIMD8<Float>(repeating: 1.0 / 720)
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2ⁿ built in the exponent bits. n is a whole number in [−126, 127]: adding 1.5·2²³ puts it
        // in the low mantissa bits, read back as an integer without a per-lane conversion.
        let shifted = unsafeBitCast(n + 12_582_912, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return p * unsafeBitCast((shifted &+ 127) &<< 23, to: SIMD8<Float>.self)
    }

    /// σ(x) = 1 / (1 + e^−x). With `tanh`, the definition the LSTM cell kernels (lstm_cell_body.h,
    /// `LSTMCell`) follow operation for operation, and the reference their tests compare bits with.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh(x) = 1 − 2 / (e^{2x} + 1): exact at 0, saturates cleanly at ±1.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
        1 - 2 / (exp(x + x) + 1)
    }

    /// Φ(x), the standard normal CDF, from erfc(|x|/√2) by Abramowitz & Stegun 7.1.26 (absolute
    /// error < 1.5·10⁻⁷, about 10⁻⁷ in Φ): taken as the tail for x < 0 and 1 − tail above, so the
    /// left tail is not computed as a difference of two numbers near 1.
    @inlinable @inline(__always)
    public static func normalCDF(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let z = x * 0.707_106_781
        let magnitude = z.replacing(with: -z, where: z .< 0)
        let t = 1 / (1 + 0.327_591_1 * magnitude)
        var p = SIMD8<Float>(repeating: 1.061_405_429)
        p = p * t - 1.453_152_027
        p = p * t + 1.421_413_741
        p = p * t - 0.284_496_736
        p = p * t + 0.254_829_592
        let tail = 0.5 * p * t * exp(-magnitude * magnitude)
        return (1 - tail).replacing(with: tail, where: z .< 0)
    }

    /// Scales `count` floats to unit L2 norm (left as they are when all zero). Summed in a fixed
    /// order: eight lanes, then the lanes left to right.
    public static func normalise(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var sum = SIMD8<Float>()
        var index = 0
        while index + 8 <= count {
            let v = UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
            sum.addProduct(v, v)
            index += 8
        }
        var total: Float = 0
        for lane in 0..<8 { total += sum[lane] }
        while index < count {
            total += values[index] * values[index]
            index += 1
        }
        guard total > 0 else { return }
        let scale = 1 / total.squareRoot()
        for i in 0..<count { values[i] *= scale }
    }
}
