import LoomKernels
/// The mean of each channel over all pixels of an NHWC activation, summed pixel by pixel in
/// order (eight channels per vector).
enum GlobalAveragePool {
    static func apply(_ input: UnsafePointer<Float>, pixels: Int, channels: Int, into output: UnsafeMutablePointer<Float>) {
        let raw = UnsafeRawPointer(input)
        let scale = 1 / Float(pixels)
        var channel = 0
        while channel < channels {
            let lanes = channels - channel
            var sum = SIMD8<Float>()
            for pixel in 0..<pixels {
                sum += Lanes.load(raw, floatOffset: pixel * channels + channel, count: lanes)
            }
            Lanes.store(sum * scale, UnsafeMutableRawPointer(output), floatOffset: channel, count: lanes)
            channel += 8
        }
    }
}
