/// What a downloaded body is, from its first bytes (never from the server's Content-Type): the
/// images stage decodes JPEG and PNG; other image formats are named in the reject.
enum PhotoFormat: String, Sendable {
    case jpeg
    case png

    var fileExtension: String { self == .jpeg ? "jpg" : "png" }

    /// The format of `bytes`, or the failure that says what they are instead.
    static func sniff(_ bytes: UnsafeRawBufferPointer) -> Result<PhotoFormat, FetchFailure> {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && zip(magic, bytes[offset..<offset + magic.count]).allSatisfy { $0 == $1 }
        }
        if starts([0xFF, 0xD8, 0xFF]) { return .success(.jpeg) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .success(.png) }
        let others: [(name: String, magic: [UInt8], offset: Int)] = [
            ("WebP", Array("WEBP".utf8), 8), ("GIF", Array("GIF8".utf8), 0), ("BMP", Array("BM".utf8), 0),
            ("TIFF", [0x49, 0x49, 0x2A, 0x00], 0), ("TIFF", [0x4D, 0x4D, 0x00, 0x2A], 0),
            ("AVIF/HEIF", Array("ftyp".utf8), 4), ("JPEG XL", [0xFF, 0x0A], 0), ("ICO", [0x00, 0x00, 0x01, 0x00], 0),
        ]
        if let other = others.first(where: { starts($0.magic, at: $0.offset) && (($0.name != "WebP") || starts(Array("RIFF".utf8))) }) {
            return .failure(FetchFailure(.unsupportedFormat, "\(other.name) image: only JPEG and PNG are decoded"))
        }
        let head = bytes.prefix(16).map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "." }.joined()
        return .failure(FetchFailure(.notAnImage, bytes.isEmpty ? "empty body" : "neither JPEG nor PNG (\(bytes.count) bytes starting \"\(head)\")"))
    }
}
