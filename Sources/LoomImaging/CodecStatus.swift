import CLoomCodecs

/// Turns a C decoder status and message into an `ImageError`.
enum CodecStatus {
    static func error(_ status: loom_decode_status, _ message: [CChar]) -> ImageError {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let reason: ImageError.Reason
        switch status {
        case LOOM_DECODE_NOT_AN_IMAGE: reason = .notAnImage
        case LOOM_DECODE_TRUNCATED: reason = .truncated
        case LOOM_DECODE_TOO_LARGE: reason = .tooLarge
        case LOOM_DECODE_UNSUPPORTED: reason = .unsupported
        case LOOM_DECODE_OUT_OF_MEMORY: reason = .ioError
        default: reason = .corruptData
        }
        return ImageError(reason: reason, message: text)
    }
}
