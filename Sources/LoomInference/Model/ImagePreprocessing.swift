/// The network's input: 8-bit RGB pixels to NHWC floats, x = (p / 255 − mean) / std per
/// channel, as torchvision's ToTensor + Normalize compute it.
public struct ImagePreprocessing: Sendable {
    public let mean: [Float]
    public let std: [Float]
    /// The normalised value of each byte value in each channel (3 × 256), computed once with
    /// the formula above, so normalising an image is a lookup per byte.
    let table: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3)
        self.mean = mean
        self.std = std
        table = (0..<3).flatMap { channel in (0..<256).map { (Float($0) / 255 - mean[channel]) / std[channel] } }
    }

    /// `pixels` pixels of `bytesPerPixel` bytes (3 for RGB, 4 for RGBA: alpha ignored).
    public func normalise(_ source: UnsafePointer<UInt8>, pixels: Int, bytesPerPixel: Int = 3,
                          into output: UnsafeMutablePointer<Float>) {
        table.withUnsafeBufferPointer { table in
            let (red, green, blue) = (table.baseAddress!, table.baseAddress! + 256, table.baseAddress! + 512)
            for pixel in 0..<pixels {
                let from = source + pixel &* bytesPerPixel, to = output + pixel &* 3
                to[0] = red[Int(from[0])]
                to[1] = green[Int(from[1])]
                to[2] = blue[Int(from[2])]
            }
        }
    }
}
