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
            (Array($0), $1.width, $1.height, $1.orientation)
        }
    }

    /// Where a decoded buffer's pixels lie.
    struct Layout {
        /// The whole decoded (scaled) image, as stored.
        var width: Int
        var height: Int
        /// EXIF orientation 1-8; the pixels are not turned.
        var orientation: Int
        /// The image's columns and rows that the buffer holds, tightly packed.
        var columns: Range<Int>
        var rows: Range<Int>
    }

    /// Given the scaled size and orientation, the columns and rows to decode (nil: all of them).
    typealias RegionChooser = (_ width: Int, _ height: Int, _ orientation: Int) -> (columns: Range<Int>, rows: Range<Int>)?

    /// Runs `body` on the decoder's own RGB8 buffer, freed when `body` returns: no copy for callers
    /// that only read the pixels. With `region`, only the part it asks for is decoded (the buffer
    /// may start a few columns left of it; `Layout` says where).
    static func withDecodedRGB<Result>(_ data: [UInt8], scaleDenominator: Int, maxPixels: UInt64, strict: Bool,
                                       region: RegionChooser? = nil,
                                       _ body: (UnsafeBufferPointer<UInt8>, Layout) -> Result) throws(ImageError) -> Result {
        var buffer = loom_buffer()
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        var width: Int32 = 0
        var height: Int32 = 0
        var orientation: Int32 = 1
        var decoded = loom_region()
        /// Calls the chooser that `context` points at.
        let choose: loom_region_chooser = { context, width, height, orientation, region in
            guard let chosen = context!.assumingMemoryBound(to: RegionChooser.self).pointee(Int(width), Int(height), Int(orientation))
            else { return }
            region!.pointee = loom_region(x: Int32(chosen.columns.lowerBound), y: Int32(chosen.rows.lowerBound),
                                          width: Int32(chosen.columns.count), height: Int32(chosen.rows.count))
        }
        // A missing chooser asks for nothing narrower: the whole image.
        var chooser: RegionChooser = region ?? { _, _, _ in nil }
        let status = data.withUnsafeBufferPointer { bytes in
            withUnsafeMutablePointer(to: &chooser) { chooser in
                loom_jpeg_decode_rgb8(bytes.baseAddress, bytes.count, Int32(scaleDenominator), maxPixels, strict ? 1 : 0,
                                      choose, chooser, &decoded, &buffer, &width, &height, &orientation, &message)
            }
        }
        defer { loom_buffer_free(&buffer) }
        guard status == LOOM_DECODE_OK else { throw CodecStatus.error(status, message) }
        let layout = Layout(width: Int(width), height: Int(height), orientation: Int(orientation),
                            columns: Int(decoded.x)..<Int(decoded.x + decoded.width), rows: Int(decoded.y)..<Int(decoded.y + decoded.height))
        return body(UnsafeBufferPointer(start: buffer.data, count: buffer.size), layout)
    }
}
