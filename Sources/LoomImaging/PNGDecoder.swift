import CLoomCodecs
import Foundation

/// PNG through libpng, to RGBA8 with pypng's semantics (see loom_codecs.h).
public enum PNGDecoder {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func decode(_ data: [UInt8], maxPixels: UInt64) throws(ImageError) -> RGBAImage {
        let (pixels, width, height) = try decoded(data, maxPixels: maxPixels, by: loom_png_decode_rgba8)
        return RGBAImage(width: width, height: height, pixels: pixels)
    }

    /// The same pixels as RGB8 composited on white (the images stage's input), with their size.
    public static func decodeRGBOnWhite(_ data: [UInt8], maxPixels: UInt64) throws(ImageError) -> ([UInt8], Int, Int) {
        try decoded(data, maxPixels: maxPixels, by: loom_png_decode_rgb8_on_white)
    }

    /// Runs `body` on the decoder's own RGB8-on-white buffer (pixels, width, height), freed when
    /// `body` returns: no copy for callers that only read the pixels.
    static func withDecodedRGBOnWhite<Result>(_ data: [UInt8], maxPixels: UInt64,
                                              _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Result) throws(ImageError) -> Result {
        try withDecoded(data, maxPixels: maxPixels, by: loom_png_decode_rgb8_on_white, body)
    }

    typealias CDecoder = @convention(c) (UnsafePointer<UInt8>?, Int, UInt64, UnsafeMutablePointer<loom_buffer>?,
                                         UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<CChar>?)
        -> loom_decode_status

    /// Runs one of the C decoders (same arguments, different pixel format) and copies its pixels out.
    private static func decoded(_ data: [UInt8], maxPixels: UInt64, by decoder: CDecoder) throws(ImageError) -> ([UInt8], Int, Int) {
        try withDecoded(data, maxPixels: maxPixels, by: decoder) { (Array($0), $1, $2) }
    }

    /// Runs one of the C decoders and `body` on its buffer, which is freed when `body` returns.
    private static func withDecoded<Result>(_ data: [UInt8], maxPixels: UInt64, by decoder: CDecoder,
                                            _ body: (UnsafeBufferPointer<UInt8>, Int, Int) -> Result) throws(ImageError) -> Result {
        var buffer = loom_buffer()
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        var width: Int32 = 0
        var height: Int32 = 0
        let status = data.withUnsafeBufferPointer { bytes in
            decoder(bytes.baseAddress, bytes.count, maxPixels, &buffer, &width, &height, &message)
        }
        defer { loom_buffer_free(&buffer) }
        guard status == LOOM_DECODE_OK else { throw CodecStatus.error(status, message) }
        return body(UnsafeBufferPointer(start: buffer.data, count: buffer.size), Int(width), Int(height))
    }
}
