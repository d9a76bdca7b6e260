/// Decoded pixels: 8-bit RGBA, rows top to bottom, tightly packed.
public struct RGBAImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
}
