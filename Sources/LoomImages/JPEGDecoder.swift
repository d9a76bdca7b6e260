import CLoomCodecs

/// JPEG through libjpeg-turbo, to RGB8 (as RGBA8 with opaque alpha), with the EXIF orientation.
public enum JPEGDecoder {
    public struct Decoded: Sendable {
        public var image: RGBAImage
        /// EXIF orientation 1-8 as stored; the pixels are not yet turned.
        public var orientation: Int
    }

    /// - Parameters:
    ///   - scaleDenominator: 1, 2, 4 or 8: libjpeg's DCT-domain downscaling.
    ///   - strict: libjpeg warnings (corrupt data, premature end) reject the image.
    public static func decode(_ data: [UInt8], scaleDenominator: Int = 1, maxPixels: UInt64, strict: Bool = true)
        throws(ImageError) -> Decoded {
        let (rgb, width, height, orientation) = try decodeRGB(data, scaleDenominator: scaleDenominator, maxPixels: maxPixels, strict: strict)
        let count = width * height
        var pixels = [UInt8](repeating: 255, count: count * 4)
        pixels.withUnsafeMutableBufferPointer { rgba in
            for index in 0..<count {
                rgba[4 * index] = rgb[3 * index]
                rgba[4 * index + 1] = rgb[3 * index + 1]
                rgba[4 * index + 2] = rgb[3 * index + 2]
            }
        }
        return Decoded(image: RGBAImage(width: width, height: height, pixels: pixels), orientation: orientation)
    }

    /// RGB8 pixels as stored, width, height and EXIF orientation: what the images stage needs.
    public static func decodeRGB(_ data: [UInt8], scaleDenominator: Int = 1, maxPixels: UInt64, strict: Bool = true)
        throws(ImageError) -> ([UInt8], Int, Int, Int) {
        try withDecodedRGB(data, scaleDenominator: scaleDenominator, maxPixels: maxPixels, strict: strict) {
            (Array($0), $1, $2, $3)
        }
    }

    /// Runs `body` on the decoder's own RGB8 buffer (pixels as stored, width, height, EXIF
    /// orientation), freed when `body` returns: no copy for callers that only read the pixels.
    static func withDecodedRGB<Result>(_ data: [UInt8], scaleDenominator: Int, maxPixels: UInt64, strict: Bool,
                                       _ body: (UnsafeBufferPointer<UInt8>, Int, Int, Int) -> Result) throws(ImageError) -> Result {
        var buffer = loom_buffer()
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        var width: Int32 = 0
        var height: Int32 = 0
        var orientation: Int32 = 1
        let status = data.withUnsafeBufferPointer { bytes in
            loom_jpeg_decode_rgb8(bytes.baseAddress, bytes.count, Int32(scaleDenominator), maxPixels, strict ? 1 : 0,
                                  &buffer, &width, &height, &orientation, &message)
        }
        defer { loom_buffer_free(&buffer) }
        guard status == LOOM_DECODE_OK else { throw CodecStatus.error(status, message) }
        return body(UnsafeBufferPointer(start: buffer.data, count: buffer.size), Int(width), Int(height), Int(orientation))
    }
}
