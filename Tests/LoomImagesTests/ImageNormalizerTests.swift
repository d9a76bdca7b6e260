import Foundation
import LoomCore
import Testing
@testable import LoomImaging

/// The images stage decodes an upright JPEG only where the resize reads it (libjpeg's crop and
/// skip): its output must be the whole decode's, byte for byte, and its rejects the same.
@Suite struct ImageNormalizerTests {
    /// Every JPEG of the test resources, and photos whose sizes put the crop between iMCU columns.
    static func jpegs() throws -> [(name: String, bytes: [UInt8])] {
        let root = PNGDecoderTests.resources
        let files = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".jpeg") }.sorted()
        var jpegs = try files.map { ($0, try PNGDecoderTests.bytes($0)) }
        var random = SeededRandom(seed: 11)
        for (width, height) in [(1001, 777), (333, 1290), (517, 517), (2050, 260)] {
            let rgb = (0..<(width * height * 3)).map { index in UInt8(truncatingIfNeeded: index / 7 + Int(random.next() % 16)) }
            for progressive in [false, true] {
                jpegs.append(("photo \(width)x\(height)\(progressive ? " progressive" : "")",
                              try JPEGEncoder.encode(rgb, width: width, height: height, quality: 90, progressive: progressive)))
            }
        }
        return jpegs
    }

    /// The same file through the whole decode: every pixel decoded, then resized.
    static func wholeDecode(_ normalizer: ImageNormalizer, _ bytes: [UInt8]) -> Result<[UInt8], ImageError> {
        Result { () throws(ImageError) in normalizer.normalize(try normalizer.decodeUpright(bytes)) }
    }

    @Test(arguments: [(256, 224, false), (256, 224, true), (64, 56, false), (520, 500, false), (31, 31, true)])
    func partialDecodeGivesTheWholeDecodesBytes(resizeShorter: Int, size: Int, lenient: Bool) throws {
        let normalizer = ImageNormalizer(size: size, resizeShorter: resizeShorter, lenient: lenient)
        var compared = 0
        var differing: [String] = []
        for (name, bytes) in try Self.jpegs() {
            let partial = Result { () throws(ImageError) in try normalizer.normalize(bytes) }
            switch (partial, Self.wholeDecode(normalizer, bytes)) {
            case let (.success(a), .success(b)):
                compared += 1
                if a != b { differing.append(name) }
            case let (.failure(a), .failure(b)):
                #expect(a.reason == b.reason, "\(name): \(a) against \(b)")
            case let (a, b):
                Issue.record("\(name): \(a) against \(b)")
            }
        }
        #expect(compared >= 60)
        #expect(differing.isEmpty, "\(differing)")
    }

    /// The decoder holds only the region asked for (widened left to an iMCU column at most), and
    /// those pixels are the whole decode's.
    @Test func theDecoderHoldsOnlyTheRegionAskedFor() throws {
        let (width, height) = (1000, 800)
        let rgb = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 / 3 % 251 + $0 % 3 * 40) }
        let bytes = try JPEGEncoder.encode(rgb, width: width, height: height, quality: 90)
        let whole = try JPEGDecoder.decodeRGB(bytes, scaleDenominator: 2, maxPixels: 40_000_000)
        #expect(whole.1 == 500 && whole.2 == 400)
        var asked: (width: Int, height: Int, orientation: Int)?
        let (region, matches) = try JPEGDecoder.withDecodedRGB(bytes, scaleDenominator: 2, maxPixels: 40_000_000, strict: true,
                                                              region: { width, height, orientation in
            asked = (width, height, orientation)
            return (101..<397, 50..<300)
        }) { pixels, layout in
            let rowBytes = layout.columns.count * 3
            let matches = layout.rows.allSatisfy { y in
                let start = (y * 500 + layout.columns.lowerBound) * 3
                return Array(pixels[((y - layout.rows.lowerBound) * rowBytes)..<((y - layout.rows.lowerBound + 1) * rowBytes)])
                    == Array(whole.0[start..<(start + rowBytes)])
            }
            return (layout, matches && pixels.count == rowBytes * layout.rows.count)
        }
        #expect(asked?.width == 500 && asked?.height == 400 && asked?.orientation == 1)
        #expect(region.width == 500 && region.height == 400)
        #expect(region.rows == 50..<300)
        #expect(region.columns.lowerBound <= 101 && region.columns.lowerBound > 101 - 16 && region.columns.upperBound == 397)
        #expect(matches)
    }

    /// Damage in rows the crop leaves out is still found: they are skipped, not left unread.
    @Test(arguments: [false, true])
    func aFileCutInTheRowsBelowTheCropIsStillTruncated(progressive: Bool) throws {
        let (width, height) = (1000, 1000)
        var random = SeededRandom(seed: 5)
        let rgb = (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let bytes = try JPEGEncoder.encode(rgb, width: width, height: height, quality: 90, progressive: progressive)
        let normalizer = ImageNormalizer()
        let plan = normalizer.resizePlan(width: 500, height: 500)
        #expect(plan.rows.upperBound < 480, "the crop must leave rows out for this test")
        var lenient = normalizer
        lenient.lenient = true
        // Noise compresses evenly, so the last 4% of the bytes is the last rows (or last scan).
        for permille in [960, 980, 995, 999] {
            let cut = Array(bytes[0..<(bytes.count * permille / 1000)])
            let outcome = Result { () throws(ImageError) in try normalizer.normalize(cut) }
            #expect(outcome.failureReason == .truncated, "cut at \(permille)‰")
            #expect(Self.wholeDecode(normalizer, cut).failureReason == .truncated)
            #expect(try lenient.normalize(cut) == Self.wholeDecode(lenient, cut).get())
        }
    }
}

extension Result where Failure == ImageError {
    /// Why it failed; nil when it did not.
    var failureReason: ImageError.Reason? {
        if case .failure(let error) = self { return error.reason }
        return nil
    }
}
