import CLoomCodecs

/// RGB8 → JPEG (4:2:0) through libjpeg-turbo; `app1` is written as an APP1 marker (EXIF).
public enum JPEGEncoder {
    public static func encode(_ rgb: [UInt8], width: Int, height: Int, quality: Int, progressive: Bool = false,
                              app1: [UInt8] = []) throws(ImageError) -> [UInt8] {
        var buffer = loom_buffer()
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        let status = rgb.withUnsafeBufferPointer { pixels in
            app1.withUnsafeBufferPointer { marker in
                loom_jpeg_encode_rgb(pixels.baseAddress, Int32(width), Int32(height), Int32(quality), progressive ? 1 : 0,
                                     marker.baseAddress, marker.count, &buffer, &message)
            }
        }
        defer { loom_buffer_free(&buffer) }
        guard status == 0 else { throw CodecStatus.error(LOOM_DECODE_UNSUPPORTED, message) }
        return Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size))
    }
}
