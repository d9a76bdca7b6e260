import Foundation
import LoomCore
import LoomTestSupport
import Testing
@testable import LoomIngest

/// The records of a file do not depend on where the read-ahead cuts it into blocks: a record's
/// tail carried into the room in front of the next block, or copied with it when it is longer.
@Suite struct RecordReaderTests {
    struct Record: Equatable {
        var bytes: [UInt8]
        var line: Int
        var element: Int?
    }

    func records(_ path: String, blockSize: Int = 8 << 20, headroom: Int = 256 << 10, batch: Int = 3) throws -> [Record] {
        let reader = try RecordReader(path: path, blockSize: blockSize, headroom: headroom)
        var records: [Record] = []
        while let next = try reader.nextBatch(maxRecords: batch, maxBytes: 1 << 16) {
            records += next.spans.map { Record(bytes: Array(next.bytes[$0.start..<$0.end]), line: $0.line, element: $0.element) }
        }
        #expect(try reader.contentHash() == ContentHash.file(atPath: path))
        return records
    }

    static let files = [
        "2023_jsonl/meta_Amazon_Fashion.sample500.jsonl.gz", "2014_loose/meta_lines_from_code_snippets.txt",
        "2018_strict_jsonl/meta_Appliances.sample100.json.gz", "2018_strict_jsonl/meta_Gift_Cards.sample10.as_json_array.json",
    ]

    @Test(arguments: files)
    func recordsAreTheSameForAnyBlockSize(name: String) throws {
        let path = IngestFixture.resource(name)
        let whole = try records(path)
        #expect(whole.count >= 3)
        // Tails that fit the room in front, tails that do not, and blocks smaller than a record.
        for (blockSize, headroom) in [(997, 4096), (4096, 64), (61, 0), (100_003, 1 << 20)] {
            #expect(try records(path, blockSize: blockSize, headroom: headroom) == whole, "blocks of \(blockSize), room \(headroom)")
        }
    }

    @Test func crlfBlankLinesAndNoFinalNewlineAcrossBlocks() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("lines.jsonl")
        let text = "{\"asin\": \"A\"}\r\n\n{\"asin\": \"B\"}\r\n" + String(repeating: "x", count: 5000) + "\n{\"asin\": \"C\"}"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        for (blockSize, headroom) in [(8 << 20, 256 << 10), (7, 3), (1000, 100)] {
            let lines = try records(path, blockSize: blockSize, headroom: headroom)
            #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) }
                    == ["{\"asin\": \"A\"}", "", "{\"asin\": \"B\"}", String(repeating: "x", count: 5000), "{\"asin\": \"C\"}"])
            #expect(lines.map(\.line) == [1, 2, 3, 4, 5])
        }
    }
}
