import Foundation
import LoomCore
import Testing
@testable import LoomImaging

/// JPEGs of the corpus against Pillow (same libjpeg-turbo family, decode_manifest hashes) and the
/// jpeg-decoder reference PNGs; EXIF orientations against the upright original.
@Suite struct JPEGDecoderTests {
    typealias Entry = PNGDecoderTests.Entry

    static func pngPixels(_ file: String) throws -> RGBAImage {
        try PNGDecoder.decode(try PNGDecoderTests.bytes(file), maxPixels: 40_000_000)
    }

    static func meanAbsoluteDifference(_ a: RGBAImage, _ b: RGBAImage) -> Double {
        var total = 0
        var count = 0
        for index in stride(from: 0, to: a.pixels.count, by: 4) {
            for channel in 0..<3 { total += abs(Int(a.pixels[index + channel]) - Int(b.pixels[index + channel])) }
            count += 3
        }
        return Double(total) / Double(max(count, 1))
    }

    @Test func jpegsDecodeToPillowsSizeAndPixels() throws {
        var exact = 0
        var decoded = 0
        var report: [String] = []
        for entry in try PNGDecoderTests.manifest()
        where entry.file.hasPrefix("jpeg/") && (entry.file.hasSuffix(".jpg") || entry.file.hasSuffix(".jpeg")) && entry.pillow_status == "ok" {
            let result = try? JPEGDecoder.decode(try PNGDecoderTests.bytes(entry.file), maxPixels: 40_000_000, strict: false)
            guard let result else {
                report.append("\(entry.file): not decoded")
                continue
            }
            decoded += 1
            #expect([result.image.width, result.image.height] == entry.size, "\(entry.file)")
            if PNGDecoderTests.sha256(result.image.pixels) == entry.pillow_rgba8_sha256 { exact += 1 } else { report.append(entry.file) }
        }
        // Same library family, same IDCT and upsampling: identical pixels (so a mean absolute
        // difference of 0, under the 1.0 allowed).
        #expect(decoded >= 50)
        #expect(exact == decoded, "differing from Pillow: \(report)")
    }

    @Test func referenceTestsMatchTheirExpectedPNGsWithinTwoLevels() throws {
        let directory = PNGDecoderTests.resources.appendingPathComponent("jpeg/jpeg-decoder-reftest")
        var compared: [String: Double] = [:]
        let files = (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".jpg") }
        for file in files.sorted() {
            let expectedPath = "jpeg/jpeg-decoder-reftest/" + (file as NSString).deletingPathExtension + ".png"
            guard FileManager.default.fileExists(atPath: PNGDecoderTests.resources.appendingPathComponent(expectedPath).path),
                  let decoded = try? JPEGDecoder.decode(try PNGDecoderTests.bytes("jpeg/jpeg-decoder-reftest/" + file),
                                                        maxPixels: 40_000_000, strict: false) else { continue }
            let expected = try JPEGDecoderTests.pngPixels(expectedPath)
            guard expected.width == decoded.image.width, expected.height == decoded.image.height else {
                Issue.record("\(file): \(decoded.image.width)x\(decoded.image.height), expected \(expected.width)x\(expected.height)")
                continue
            }
            compared[file] = JPEGDecoderTests.meanAbsoluteDifference(decoded.image, expected)
        }
        #expect(compared.count >= 20)
        for name in ["ycck.jpg", "progressive3.jpg", "mozilla/jpg-cmyk-1.jpg", "mozilla/jpg-cmyk-2.jpg", "mozilla/jpg-progressive.jpg"] {
            #expect(compared[name] != nil, "\(name) not compared")
        }
        let over = compared.filter { $0.value > 2 }
        #expect(over.isEmpty, "mean absolute difference over 2: \(over)")
    }

    @Test(arguments: 2...8)
    func exifOrientationsComeOutUpright(_ orientation: Int) throws {
        let upright = try JPEGDecoder.decode(try PNGDecoderTests.bytes("exif/pillow/hopper.jpg"), maxPixels: 40_000_000)
        let stored = try JPEGDecoder.decode(try PNGDecoderTests.bytes("exif/pillow/hopper_orientation_\(orientation).jpg"),
                                            maxPixels: 40_000_000)
        #expect(upright.orientation == 1)
        #expect(stored.orientation == orientation)
        // The files were re-encoded after turning, so they differ a little from the original;
        // the right turn must be by far the closest of the eight.
        var differences: [Int: Double] = [:]
        for candidate in 1...8 {
            let turned = stored.image.applyingOrientation(candidate)
            guard turned.width == upright.image.width, turned.height == upright.image.height else { continue }
            differences[candidate] = JPEGDecoderTests.meanAbsoluteDifference(turned, upright.image)
        }
        let best = differences.min { $0.value < $1.value }
        #expect(best?.key == orientation, "\(differences)")
        #expect((best?.value ?? .infinity) < 6)
        #expect(differences.filter { $0.key != orientation }.values.allSatisfy { $0 > 15 }, "\(differences)")
    }

    /// APP1 segments too short to hold "Exif" (0 to 3 bytes, then one of 5 with a damaged TIFF
    /// header) are read within their bounds (`make sanitize` checks) and change nothing.
    @Test func shortAPP1SegmentsAreIgnored() throws {
        let original = try PNGDecoderTests.bytes("exif/pillow/hopper.jpg")
        let expected = try JPEGDecoder.decode(original, maxPixels: 40_000_000)
        for payload: [UInt8] in [[], [0x45], [0x45, 0x78], [0x45, 0x78, 0x69], [0x45, 0x78, 0x69, 0x66, 0x00]] {
            let length = payload.count + 2
            let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
            let bytes = Array(original.prefix(2)) + segment + Array(original.dropFirst(2))
            let decoded = try JPEGDecoder.decode(bytes, maxPixels: 40_000_000)
            #expect(decoded.orientation == 1, "payload \(payload)")
            #expect(decoded.image.pixels == expected.image.pixels, "payload \(payload)")
        }
    }
}

/// SampleData/corrupt/images: every file a reject with the reason the images stage records.
@Suite struct CorruptImageTests {
    static let corrupt = PNGDecoderTests.resources.deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData/corrupt/images")

    static func decode(_ name: String) -> ImageError? {
        let bytes = [UInt8]((try? Data(contentsOf: corrupt.appendingPathComponent(name))) ?? Data())
        do {
            if bytes.starts(with: PNGDecoder.signature) {
                _ = try PNGDecoder.decode(bytes, maxPixels: 40_000_000)
            } else {
                _ = try JPEGDecoder.decode(bytes, maxPixels: 40_000_000)
            }
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("B0BAD00001.jpg", ImageError.Reason.truncated),
        ("B0BAD00002.png", .corruptData),
        ("B0BAD00003.jpg", .notAnImage),
        ("B0BAD00004.jpg", .notAnImage),
        ("B0BAD00005.png", .tooLarge),
        ("B0BAD00006.jpg", .tooLarge),
    ])
    func corruptFilesAreRejectedWithTheirReason(_ name: String, _ reason: ImageError.Reason) {
        let error = CorruptImageTests.decode(name)
        #expect(error?.reason == reason, "\(name): \(String(describing: error))")
        #expect(error?.message.isEmpty == false)
    }

    @Test func aTruncatedJPEGIsKeptWhenLenient() throws {
        let bytes = [UInt8](try Data(contentsOf: CorruptImageTests.corrupt.appendingPathComponent("B0BAD00001.jpg")))
        let decoded = try JPEGDecoder.decode(bytes, maxPixels: 40_000_000, strict: false)
        #expect(decoded.image.width >= 400)
    }
}
