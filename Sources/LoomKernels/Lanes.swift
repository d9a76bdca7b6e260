/// Loads and stores of eight floats that also work for the last, shorter group of a row whose
/// length is not a multiple of 8 (missing lanes read as 0 and are not written), so kernels
/// accept any channel count without reading or writing past the end.
public enum Lanes {
    @inlinable @inline(__always)
    public static func load(_ base: UnsafeRawPointer, floatOffset: Int, count: Int) -> SIMD8<Float> {
        if count >= 8 { return base.loadUnaligned(fromByteOffset: floatOffset * 4, as: SIMD8<Float>.self) }
        var value = SIMD8<Float>()
        let floats = base.assumingMemoryBound(to: Float.self) + floatOffset
        for lane in 0..<count { value[lane] = floats[lane] }
        return value
    }

    @inlinable @inline(__always)
    public static func store(_ value: SIMD8<Float>, _ base: UnsafeMutableRawPointer, floatOffset: Int, count: Int) {
        if count >= 8 {
            base.storeBytes(of: value, toByteOffset: floatOffset * 4, as: SIMD8<Float>.self)
            return
        }
        let floats = base.assumingMemoryBound(to: Float.self) + floatOffset
        for lane in 0..<count { floats[lane] = value[lane] }
    }
}
