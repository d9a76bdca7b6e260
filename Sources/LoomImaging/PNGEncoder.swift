import CLoomCodecs

/// RGB8 or RGBA8 → PNG through libpng (fixed compression, no time chunk).
public enum PNGEncoder {
    public static func encode(_ pixels: [UInt8], width: Int, height: Int, channels: Int = 3) throws(ImageError) -> [UInt8] {
        var buffer = loom_buffer()
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        let status = pixels.withUnsafeBufferPointer {
            loom_png_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), &buffer, &message)
        }
        defer { loom_buffer_free(&buffer) }
        guard status == 0 else { throw CodecStatus.error(LOOM_DECODE_UNSUPPORTED, message) }
        return Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size))
    }
}
