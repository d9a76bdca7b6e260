import Crypto
import Foundation
import LoomCore
import Testing
@testable import LoomImaging

/// Every PNG of the corpus against the reference decoders' results (decode_manifest, pypng's
/// asRGBA8 hashes): exact pixels where pypng decoded, a typed reject where it could not.
@Suite struct PNGDecoderTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources")

    struct Entry: Decodable {
        var file: String
        var size: [Int]?
        var pypng_status: String?
        var pypng_rgba8_sha256: String?
        var pillow_status: String?
        var pillow_rgba8_sha256: String?
        var exif_orientation: Int?
    }

    struct Manifest: Decodable {
        var files: [Entry]
    }

    static func manifest() throws -> [Entry] {
        let source = try ByteSource(path: resources.appendingPathComponent("decode_manifest.json.gz").path)
        var bytes: [UInt8] = []
        while try source.read(appendingTo: &bytes, maximum: 1 << 20) > 0 {}
        return try JSONDecoder().decode(Manifest.self, from: Data(bytes)).files
    }

    static func sha256(_ pixels: [UInt8]) -> String {
        SHA256.hash(data: Data(pixels)).map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: resources.appendingPathComponent(file)))
    }

    @Test func everyPNGThatPypngDecodesGivesItsExactRGBA8Pixels() throws {
        var checked = 0
        var mismatches: [String] = []
        // x* files are corrupt by name (PngSuite, image-png): they must be rejects even where pypng is lenient.
        for entry in try PNGDecoderTests.manifest() where entry.file.hasPrefix("png/") && entry.pypng_status == "ok" && !PNGDecoderTests.isCorruptByName(entry.file) {
            let data = try PNGDecoderTests.bytes(entry.file)
            do {
                let image = try PNGDecoder.decode(data, maxPixels: 40_000_000)
                if [image.width, image.height] != entry.size || PNGDecoderTests.sha256(image.pixels) != entry.pypng_rgba8_sha256 {
                    mismatches.append(entry.file)
                }
            } catch {
                mismatches.append("\(entry.file): \(error)")
            }
            checked += 1
        }
        #expect(checked > 340)
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(checked): \(mismatches.prefix(12))")
    }

    /// The images stage's RGB-on-white decode is the RGBA8 decode composited on white, on every
    /// PNG (every colour type, depth, tRNS and sBIT case), and refuses what that refuses.
    @Test func rgbOnWhiteDecodeIsTheRGBA8DecodeComposited() throws {
        var checked = 0, refused = 0
        var mismatches: [String] = []
        for entry in try PNGDecoderTests.manifest() where entry.file.hasPrefix("png/") {
            let data = try PNGDecoderTests.bytes(entry.file)
            guard let image = try? PNGDecoder.decode(data, maxPixels: 40_000_000) else {
                if (try? PNGDecoder.decodeRGBOnWhite(data, maxPixels: 40_000_000)) != nil { mismatches.append("\(entry.file) decoded") }
                refused += 1
                continue
            }
            let decoded = try PNGDecoder.decodeRGBOnWhite(data, maxPixels: 40_000_000)
            if decoded.0 != ImageNormalizer.compositedOnWhite(image) || decoded.1 != image.width || decoded.2 != image.height {
                mismatches.append(entry.file)
            }
            checked += 1
        }
        #expect(checked > 340 && refused > 30)
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(checked): \(mismatches.prefix(12))")
    }

    static func isCorruptByName(_ file: String) -> Bool {
        let name = (file as NSString).lastPathComponent
        return name.hasPrefix("x_") || (file.contains("/pngsuite/") && name.hasPrefix("x")) || file.contains("/crashers/")
    }

    @Test func corruptFilesAndThoseNeitherReferenceDecodesAreTypedRejects() throws {
        var rejected = 0
        for entry in try PNGDecoderTests.manifest() where entry.file.hasPrefix("png/")
            && ((entry.pypng_status == "error" && entry.pillow_status == "error") || PNGDecoderTests.isCorruptByName(entry.file)) {
            if let image = try? PNGDecoder.decode(try PNGDecoderTests.bytes(entry.file), maxPixels: 40_000_000) {
                Issue.record("\(entry.file) decoded to \(image.width)x\(image.height) but both reference decoders refuse it")
            }
            rejected += 1
        }
        #expect(rejected > 30)
    }

    /// SampleData/corrupt's 60000×60000 PNG: a valid header and a tiny IDAT.
    @Test func hugeHeadersAreRefusedBeforeAllocating() throws {
        let data = [UInt8](try Data(contentsOf: PNGDecoderTests.resources.deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("SampleData/corrupt/images/B0BAD00005.png")))
        #expect {
            _ = try PNGDecoder.decode(data, maxPixels: 40_000_000)
        } throws: { error in
            (error as? ImageError)?.reason == .tooLarge
        }
    }

    @Test(arguments: [0, 7, 33, 60])
    func truncatedAndNonPNGDataAreRejects(_ length: Int) throws {
        let full = try PNGDecoderTests.bytes("png/pngsuite/basn2c08.png")
        #expect(throws: ImageError.self) { try PNGDecoder.decode(Array(full.prefix(length)), maxPixels: 40_000_000) }
        #expect(throws: ImageError.self) { try PNGDecoder.decode(Array("not a png at all".utf8), maxPixels: 40_000_000) }
    }
}
