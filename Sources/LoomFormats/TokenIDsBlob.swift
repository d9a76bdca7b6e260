import Crypto
import Foundation
import LoomCore

/// The `ids` column of `text.sqlite`'s `tokens`: token ids as little-endian unsigned integers of
/// `id_width` bytes (2 while the vocabulary fits, else 4; `meta.id_width` says which).
public enum TokenIDsBlob {
    public static func encode(_ ids: [Int32], width: Int) -> Data {
        var data = Data(capacity: ids.count * width)
        for id in ids {
            let value = UInt32(bitPattern: id)
            data.append(UInt8(value & 0xFF))
            data.append(UInt8(value >> 8 & 0xFF))
            if width == 4 {
                data.append(UInt8(value >> 16 & 0xFF))
                data.append(UInt8(value >> 24 & 0xFF))
            }
        }
        return data
    }

    /// The ids of a blob written with `width`; trailing bytes short of a whole id are ignored.
    public static func decode(_ data: Data, width: Int) -> [Int32] {
        let bytes = [UInt8](data)
        return stride(from: 0, to: bytes.count - width + 1, by: width).map { offset in
            var value = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            if width == 4 { value |= UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24 }
            return Int32(bitPattern: value)
        }
    }

    /// How many times `id` occurs in a blob written with `width`, without decoding it.
    public static func count(_ id: Int32, in data: Data, width: Int) -> Int {
        let value = UInt32(bitPattern: id)
        return data.withUnsafeBytes { bytes in
            var found = 0
            var offset = 0
            while offset + width <= bytes.count {
                var stored = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                if width == 4 { stored |= UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24 }
                if stored == value { found += 1 }
                offset += width
            }
            return found
        }
    }

    /// `meta.vocab_hash` of text.sqlite: SHA-256 of the vocabulary's tokens, one per line, so a
    /// model can tell whether ids were made with its own vocabulary.
    public static func vocabularyHash(_ tokens: [String]) -> String {
        ContentHash.hex(SHA256.hash(data: Data(tokens.joined(separator: "\n").utf8)))
    }
}
