import CLoomCodecs
import CZlib
import Foundation
import LoomCore
import Testing
@testable import LoomSampleData

/// Checks the committed SampleData: its shapes, pictures, hidden rules and corrupt set, and that
/// the generator reproduces it byte for byte.
@Suite struct SampleDataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("SampleData")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func data(_ relative: String) throws -> Data { try Data(contentsOf: root.appendingPathComponent(relative)) }

    static func lines(_ relative: String) throws -> [[UInt8]] {
        let reader = try LineReader(path: path(relative))
        var lines: [[UInt8]] = []
        while let line = try reader.next() { lines.append(line) }
        return lines
    }

    static func truth() throws -> [[String: Any]] {
        try lines("truth.jsonl").map { try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any] }
    }

    @Test func generatorReproducesTheCommittedFilesByteForByte() throws {
        let generated = try SampleDataGenerator().generate()
        #expect(generated.count > 300)
        var committed = 0
        let enumerator = FileManager.default.enumerator(atPath: SampleDataTests.root.path)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: SampleDataTests.path(name), isDirectory: &isDirectory), !isDirectory.boolValue {
                committed += 1
            }
        }
        #expect(committed == generated.count)
        for file in generated {
            #expect(try SampleDataTests.data(file.path) == file.data, "differs: \(file.path)")
        }
    }

    @Test func isSmallerThanTenMegabytes() throws {
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: SampleDataTests.root.path)
        while let name = enumerator?.nextObject() as? String {
            let attributes = try FileManager.default.attributesOfItem(atPath: SampleDataTests.path(name))
            if (attributes[.type] as? FileAttributeType) == .typeRegular { total += (attributes[.size] as? Int) ?? 0 }
        }
        #expect(total > 1_000_000)
        #expect(total < 10_000_000)
    }

    @Test func hasAboutThreeHundredProductsOfEveryKind() throws {
        let truth = try SampleDataTests.truth()
        #expect(truth.count == 300)
        let kinds = Dictionary(grouping: truth, by: { $0["kind"] as! String }).mapValues(\.count)
        #expect(Set(kinds.keys) == ["top", "bottom", "dress", "outerwear", "shoes", "bag", "accessory"])
        #expect(kinds.values.allSatisfy { $0 >= 20 })
        #expect(Set(truth.map { $0["asin"] as! String }).count == 300)
    }

    @Test func loose2014LinesArePythonLiteralsNotJSON() throws {
        let lines = try SampleDataTests.lines("catalog/meta_2014_loose.json.gz")
        #expect(lines.count == 100)
        for line in lines {
            let text = try #require(String(validating: line, as: UTF8.self))
            #expect(text.hasPrefix("{'asin': 'B0"))
            #expect(text.contains("'imUrl': 'http://ecx.images-amazon.com/images/I/"))
            #expect(text.contains("'categories': [["))
            // Titles hold "Women's", so Python wrote them in double quotes.
            #expect(text.contains("'title': \""))
            #expect(text.contains("\\n"))
            #expect((try? JSONSerialization.jsonObject(with: Data(line))) == nil)
        }
        #expect(lines.filter { String(decoding: $0, as: UTF8.self).contains("'also_bought': [") }.count > 80)
    }

    @Test func strict2018LinesAreJSONWithHTMLAndCoPurchases() throws {
        let lines = try SampleDataTests.lines("catalog/meta_2018.jsonl")
        #expect(lines.count == 100)
        var withEntities = 0
        var alsoBuy = 0
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect((object["asin"] as? String)?.count == 10)
            #expect(object["imageURLHighRes"] is [String])
            #expect((object["description"] as? [String])?.first?.contains("<b>") == true)
            if (object["title"] as? String)?.contains("&amp;") == true { withEntities += 1 }
            alsoBuy += (object["also_buy"] as? [String])?.count ?? 0
        }
        #expect(withEntities > 0)
        #expect(alsoBuy > 400)
    }

    @Test func lines2023HaveParentAsinImagesAndNoCoPurchases() throws {
        let lines = try SampleDataTests.lines("catalog/meta_2023.jsonl")
        #expect(lines.count == 100)
        var withoutCategories = 0
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(object["asin"] == nil)
            #expect((object["parent_asin"] as? String)?.hasPrefix("B0") == true)
            #expect(object["bought_together"] is NSNull)
            let images = try #require(object["images"] as? [[String: Any]])
            #expect(images.first?["large"] is String)
            if (object["categories"] as? [String])?.isEmpty == true { withoutCategories += 1 }
        }
        #expect(withoutCategories == 50)
    }

    @Test func everyPictureDecodesWithTheSizeAndFormatTheTruthSays() throws {
        var progressive = 0
        var png = 0
        var rotated = 0
        for product in try SampleDataTests.truth() {
            let file = product["image"] as! String
            let width = product["width"] as! Int
            let height = product["height"] as! Int
            let orientation = product["orientation"] as! Int
            #expect((400...1600).contains(width) && (400...1600).contains(height))
            let bytes = try SampleDataTests.data("images/\(file)")
            if file.hasSuffix(".png") {
                png += 1
                #expect(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
                let ihdr = Array(bytes[16..<26])
                #expect(Int(ihdr[0]) << 24 | Int(ihdr[1]) << 16 | Int(ihdr[2]) << 8 | Int(ihdr[3]) == width)
                #expect(ihdr[9] == 6, "\(file) should be RGBA")
                continue
            }
            var w: Int32 = 0, h: Int32 = 0, components: Int32 = 0, multiScan: Int32 = 0
            var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
            let status = bytes.withUnsafeBytes {
                loom_jpeg_read_header($0.bindMemory(to: UInt8.self).baseAddress, $0.count, &w, &h, &components, &multiScan, &message)
            }
            #expect(status == 0, "\(file)")
            #expect(components == 3)
            let (storedWidth, storedHeight) = orientation >= 5 ? (height, width) : (width, height)
            #expect(Int(w) == storedWidth && Int(h) == storedHeight, "\(file)")
            if multiScan == 1 { progressive += 1 }
            if orientation != 1 {
                rotated += 1
                let exif = ImageEncoder.exifOrientationSegment(orientation)
                #expect(bytes.range(of: Data(exif)) != nil, "\(file) lacks its EXIF orientation \(orientation)")
            }
        }
        #expect(progressive >= 20)
        #expect(png >= 10)
        #expect(rotated >= 5)
    }

    /// The hidden rules restated independently: complementary kinds and matching styles.
    static func looksLikeAnOutfit(_ a: [String: Any], _ b: [String: Any]) -> Bool {
        let kinds: Set<String> = [a["kind"] as! String, b["kind"] as! String]
        let styles: Set<String> = [a["style"] as! String, b["style"] as! String]
        let kindsOK = kinds.count == 2 && kinds != ["dress", "top"] && kinds != ["dress", "bottom"]
        let stylesOK = styles.count == 1
        return kindsOK && stylesOK
    }

    @Test func alsoBoughtListsFollowTheOutfitRulesFarAboveChance() throws {
        let truth = Dictionary(uniqueKeysWithValues: try SampleDataTests.truth().map { ($0["asin"] as! String, $0) })
        var edges = 0
        var outfits = 0
        for line in try SampleDataTests.lines("catalog/meta_2018.jsonl") {
            let object = try JSONSerialization.jsonObject(with: Data(line)) as! [String: Any]
            let anchor = truth[object["asin"] as! String]!
            for partner in object["also_buy"] as! [String] {
                edges += 1
                if SampleDataTests.looksLikeAnOutfit(anchor, truth[partner]!) { outfits += 1 }
            }
        }
        let all = Array(truth.values)
        var randomOutfits = 0
        var random = SeededRandom(seed: 5)
        for _ in 0..<5_000 where SampleDataTests.looksLikeAnOutfit(random.pick(all), random.pick(all)) { randomOutfits += 1 }
        let observed = Double(outfits) / Double(edges)
        let chance = Double(randomOutfits) / 5_000
        #expect(observed > 0.8)
        #expect(chance < 0.5)
    }

    @Test func corruptSetHoldsEveryKindOfBadInput() throws {
        let base = "corrupt/images/"
        let truncated = try SampleDataTests.data(base + "B0BAD00001.jpg")
        #expect(Array(truncated.prefix(2)) == [0xFF, 0xD8])
        #expect(Array(truncated.suffix(2)) != [0xFF, 0xD9])

        let badCRC = [UInt8](try SampleDataTests.data(base + "B0BAD00002.png"))
        var offset = 8
        var crcMismatches = 0
        while offset + 12 <= badCRC.count {
            let length = Int(badCRC[offset]) << 24 | Int(badCRC[offset + 1]) << 16 | Int(badCRC[offset + 2]) << 8 | Int(badCRC[offset + 3])
            let body = Array(badCRC[(offset + 4)..<(offset + 8 + length)])
            let stored = badCRC[(offset + 8 + length)..<(offset + 12 + length)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let actual = body.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            if stored != actual { crcMismatches += 1 }
            offset += 12 + length
        }
        #expect(crcMismatches == 1)

        #expect(try SampleDataTests.data(base + "B0BAD00003.jpg").isEmpty)
        #expect(String(data: try SampleDataTests.data(base + "B0BAD00004.jpg"), encoding: .utf8)?.contains("not a JPEG") == true)

        let hugePNG = [UInt8](try SampleDataTests.data(base + "B0BAD00005.png"))
        #expect(Array(hugePNG[16..<24]) == [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])

        let hugeJPEG = try SampleDataTests.data(base + "B0BAD00006.jpg")
        var w: Int32 = 0, h: Int32 = 0, components: Int32 = 0, multiScan: Int32 = 0
        var message = [CChar](repeating: 0, count: Int(LOOM_CODEC_MESSAGE_MAX))
        let status = hugeJPEG.withUnsafeBytes {
            loom_jpeg_read_header($0.bindMemory(to: UInt8.self).baseAddress, $0.count, &w, &h, &components, &multiScan, &message)
        }
        #expect(status == 0 && w == 60000 && h == 60000)
        #expect(!FileManager.default.fileExists(atPath: SampleDataTests.path(base + "B0BAD00007.jpg")))

        let lines = try SampleDataTests.lines("corrupt/meta_corrupt.jsonl")
        #expect(lines.count == 10)
        for line in lines[0..<7] { #expect((try? JSONSerialization.jsonObject(with: Data(line))) != nil) }
        #expect((try? JSONSerialization.jsonObject(with: Data(lines[7]))) == nil)
        #expect(String(validating: lines[8], as: UTF8.self) == nil)
        let duplicate = try JSONSerialization.jsonObject(with: Data(lines[9])) as! [String: Any]
        let asins2018 = try SampleDataTests.lines("catalog/meta_2018.jsonl").map {
            (try JSONSerialization.jsonObject(with: Data($0)) as! [String: Any])["asin"] as! String
        }
        #expect(asins2018.contains(duplicate["asin"] as! String))
    }
}
