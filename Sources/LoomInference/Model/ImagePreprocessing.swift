/// The network's input: 8-bit RGB pixels to NHWC floats, x = (p / 255 − mean) / std per
/// channel, as torchvision's ToTensor + Normalize compute it.
public struct ImagePreprocessing: Sendable {
    public let mean: [Float]
    public let std: [Float]

    public init(mean: [Float], std: [Float]) {
        precondition(mean.count == 3 && std.count == 3)
        self.mean = mean
        self.std = std
    }

    /// `pixels` pixels of `bytesPerPixel` bytes (3 for RGB, 4 for RGBA: alpha ignored).
    public func normalise(_ source: UnsafePointer<UInt8>, pixels: Int, bytesPerPixel: Int = 3,
                          into output: UnsafeMutablePointer<Float>) {
        for pixel in 0..<pixels {
            for channel in 0..<3 {
                let value = Float(source[pixel * bytesPerPixel + channel]) / 255
                output[pixel * 3 + channel] = (value - mean[channel]) / std[channel]
            }
        }
    }
}
