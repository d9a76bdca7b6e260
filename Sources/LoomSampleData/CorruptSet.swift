import CZlib
import Foundation

/// `SampleData/corrupt/`: the bad input every stage must survive with a reject, never a crash:
/// broken images (truncated, bad CRC, empty, not an image, absurd dimensions), a missing image,
/// a broken JSON line, invalid UTF-8 and a duplicate asin.
struct CorruptSet {
    /// One file in the set and what is wrong with it, for the README.
    struct Entry {
        var path: String
        var problem: String
    }

    /// Builds the files from a valid JPEG and PNG of the generator, and a valid 2018 line whose
    /// asin the corrupt catalog repeats.
    static func files(validJPEG: Data, validPNG: Data, duplicateLine: String, duplicateAsin: String) -> [(Entry, Data)] {
        var files: [(Entry, Data)] = []
        func add(_ path: String, _ problem: String, _ data: Data) { files.append((Entry(path: path, problem: problem), data)) }

        add("images/B0BAD00001.jpg", "truncated JPEG (first 55% of a valid file)", validJPEG.prefix(validJPEG.count * 55 / 100))
        add("images/B0BAD00002.png", "PNG whose IDAT chunk fails its CRC", pngWithBadCRC(validPNG))
        add("images/B0BAD00003.jpg", "zero-byte file", Data())
        add("images/B0BAD00004.jpg", "a text file named .jpg", Data("This is not a JPEG, it is a note someone saved with the wrong name.\n".utf8))
        add("images/B0BAD00005.png", "PNG header claiming 60000×60000 pixels", hugePNG())
        add("images/B0BAD00006.jpg", "JPEG frame header claiming 60000×60000 pixels", jpegWithHugeFrame(validJPEG))

        var lines: [Data] = []
        for number in 1...7 {
            let asin = String(format: "B0BAD%05d", number)
            let problem = number == 7 ? "its image file does not exist" : "its image is broken"
            lines.append(Data(OrderedJSON.object([
                ("category", .strings(["Clothing, Shoes & Jewelry", "Women", "Clothing", "Tops, Tees & Blouses"])),
                ("title", .string("Corrupt Sample Women's Tee \(number) (\(problem))")),
                ("description", .strings(["A product whose \(problem.replacingOccurrences(of: "its ", with: ""))."])),
                ("also_buy", .strings([])),
                ("brand", .string("Corrupt Sample")),
                ("price", .string("$9.99")),
                ("asin", .string(asin)),
                ("imageURLHighRes", .strings(["https://m.media-amazon.com/images/I/\(asin).\(number == 2 || number == 5 ? "png" : "jpg")"])),
            ]).text.utf8))
        }
        lines.append(Data(#"{"category": ["Clothing, Shoes & Jewelry", "Women"], "title": "Broken line, cut off mid-way", "asin": "B0BAD00008", "also_buy": ["#.utf8))
        var invalid = Data(#"{"category": ["Clothing, Shoes & Jewelry", "Women"], "title": "Invalid UTF-8 "#.utf8)
        invalid.append(contentsOf: [0xC3, 0x28, 0xFF, 0xFE])
        invalid.append(Data(#" in the title", "asin": "B0BAD00009", "price": "$1.00"}"#.utf8))
        lines.append(invalid)
        lines.append(Data(duplicateLine.utf8))
        var catalog = Data()
        for line in lines {
            catalog.append(line)
            catalog.append(0x0A)
        }
        add("meta_corrupt.jsonl",
            "lines 1-7: items with the broken images above (7: image missing); line 8: broken JSON; line 9: invalid UTF-8; line 10: duplicate of \(duplicateAsin) from meta_2018.jsonl",
            catalog)
        return files
    }

    private static func pngWithBadCRC(_ png: Data) -> Data {
        var bytes = [UInt8](png)
        // Chunks start after the 8-byte signature: length(4) type(4) data crc(4).
        var offset = 8
        while offset + 8 <= bytes.count {
            let length = Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if type == "IDAT", length > 16 {
                bytes[offset + 8 + length / 2] ^= 0x5A
                break
            }
            offset += 12 + length
        }
        return Data(bytes)
    }

    private static func hugePNG() -> Data {
        func chunk(_ type: String, _ payload: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + payload
            let crc = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            return bigEndian(UInt32(payload.count)) + body + bigEndian(crc)
        }
        let header = bigEndian(60000) + bigEndian(60000) + [8, 2, 0, 0, 0]
        // A tiny valid zlib stream; a decoder must refuse on the header, before it gets here.
        let data: [UInt8] = [0x78, 0x9C, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", data) + chunk("IEND", []))
    }

    private static func jpegWithHugeFrame(_ jpeg: Data) -> Data {
        var bytes = [UInt8](jpeg)
        // SOFn marker: FF C0..C2, length(2), precision(1), height(2), width(2).
        for index in 0..<(bytes.count - 9) where bytes[index] == 0xFF && (0xC0...0xC2).contains(bytes[index + 1]) {
            bytes[index + 5] = 0xEA; bytes[index + 6] = 0x60  // 60000
            bytes[index + 7] = 0xEA; bytes[index + 8] = 0x60
            break
        }
        return Data(bytes)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
