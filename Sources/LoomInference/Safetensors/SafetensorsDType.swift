/// The element types Loom reads from a safetensors file; everything is widened to Float32.
public enum SafetensorsDType: String, Sendable {
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"

    var byteSize: Int {
        switch self {
        case .f32: 4
        case .f16, .bf16: 2
        case .i64: 8
        }
    }

    /// Element `index` of raw little-endian data of this type, as Float.
    @inline(__always)
    func float(at index: Int, in data: UnsafeRawPointer) -> Float {
        switch self {
        case .f32:
            return Float(bitPattern: UInt32(littleEndian: data.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
        case .bf16:
            let bits = UInt16(littleEndian: data.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))
            return Float(bitPattern: UInt32(bits) << 16)
        case .f16:
            return Self.halfToFloat(UInt16(littleEndian: data.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
        case .i64:
            return Float(Int64(littleEndian: data.loadUnaligned(fromByteOffset: index * 8, as: Int64.self)))
        }
    }

    /// IEEE 754 binary16 → binary32, exact (every half value is a float value).
    static func halfToFloat(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = Int(half >> 10) & 0x1F
        let mantissa = UInt32(half & 0x3FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa × 2^-24.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 31:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        }
    }
}
