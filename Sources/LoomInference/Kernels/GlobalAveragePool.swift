/// The mean of each channel over all pixels of an NHWC activation, summed pixel by pixel in
/// order (eight channels per vector).
enum GlobalAveragePool {
    static func apply(_ input: UnsafePointer<Float>, pixels: Int, channels: Int, into output: UnsafeMutablePointer<Float>) {
        precondition(channels % 8 == 0)
        let raw = UnsafeRawPointer(input)
        let scale = 1 / Float(pixels)
        var channel = 0
        while channel < channels {
            var sum = SIMD8<Float>()
            for pixel in 0..<pixels {
                sum += raw.loadUnaligned(fromByteOffset: (pixel * channels + channel) * 4, as: SIMD8<Float>.self)
            }
            UnsafeMutableRawPointer(output + channel).storeBytes(of: sum * scale, as: SIMD8<Float>.self)
            channel += 8
        }
    }
}
