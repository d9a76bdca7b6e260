/// Strings from bytes that must be valid UTF-8 (invalid text is a reject, never repaired).
enum UTF8Validation {
    /// `bytes` as a String, or nil when they are not valid UTF-8. ASCII (most catalog strings:
    /// asins, URLs, most titles) is checked eight bytes at a time and needs no decoding rules; the
    /// generic `String(validating:as:)` looked up type metadata on every call and was a few per
    /// cent of ingest.
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        isASCII(bytes) ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    static func isASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let raw = UnsafeRawPointer(base)
        var index = 0
        var high: UInt64 = 0
        while index &+ 8 <= bytes.count {
            high |= raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        while index < bytes.count {
            high |= UInt64(base[index])
            index &+= 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }
}
