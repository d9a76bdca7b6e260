import Foundation
import GRDB
import LoomCore
import LoomTestSupport
import Testing
@testable import LoomIngest

/// Co-purchase lists are stored as JSON arrays and resolved at the end, through an index of the
/// catalog's asins by hash.
@Suite struct CatalogWriterTests {
    static let lists: [[String]] = [
        [], ["B000123456"], ["B000123456", "B0000AAAAA", "0123456789"],
        ["quote \" inside", #"back\slash"#, "tab\tand\nnewline\u{1}", "café", "日本語", String(repeating: "x", count: 300)],
        ["ends with \\", "\"", ""],
    ]

    @Test func jsonArraysReadBackAsTheListsTheyWereMadeFrom() throws {
        for list in Self.lists {
            let bytes = CatalogWriter.jsonArray(list)
            let decoded = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String]
            #expect(decoded == list, "\(String(decoding: bytes, as: UTF8.self))")
            // The splitter `finish` uses gives the same strings.
            var split: [String] = []
            try bytes.withUnsafeBufferPointer { text in
                try CatalogWriter.forEachString(inJSONArray: text) { split.append(String(decoding: $0, as: UTF8.self)) }
            }
            #expect(split == list)
        }
    }

    @Test func asinIndexFindsEveryAsinAndNoOther() {
        var index = AsinIndex()
        var random = SeededRandom(seed: 3)
        func asin() -> String { String(decoding: (0..<10).map { _ in UInt8(ascii: "A") + UInt8(random.next() % 26) }, as: UTF8.self) }
        let members = Array(Set((0..<50_000).map { _ in asin() }))
        for (id, member) in members.enumerated() { index.insert(member, id: Int64(id)) }
        #expect(index.count == members.count)
        #expect(members.enumerated().allSatisfy { id, member in index.id(of: member) == Int64(id) })
        let memberSet = Set(members)
        let strangers = (0..<50_000).map { _ in asin() }.filter { !memberSet.contains($0) }
        #expect(strangers.allSatisfy { index.id(of: $0) == nil })
        // Bytes, not characters: "é" composed and decomposed are two asins.
        index.insert("caf\u{E9}", id: -1)
        #expect(index.id(of: "cafe\u{301}") == nil && index.id(of: "caf\u{E9}") == -1)
    }

    @Test func edgesToAsinsThatNeedEscapingResolve() throws {
        let work = TemporaryDirectory()
        let catalog = work.file("odd.jsonl")
        let lines = [
            #"{"asin": "A\"1", "title": "quoted", "also_buy": ["B\\2", "missing", "A\"1"]}"#,
            #"{"asin": "B\\2", "title": "backslash", "also_buy": ["A\"1", "C\t3"]}"#,
            #"{"asin": "C\t3", "title": "tab", "also_view": ["A\"1", "B\\2", "B\\2"]}"#,
        ]
        try lines.joined(separator: "\n").write(toFile: catalog, atomically: true, encoding: .utf8)
        let fixture = try IngestFixture(catalog: [catalog])
        let edges = try fixture.read { db in
            try Row.fetchAll(db, sql: "SELECT s.asin AS src, d.asin AS dst, kind FROM edges JOIN items s ON s.id = src JOIN items d ON d.id = dst ORDER BY edges.rowid")
                .map { "\($0["src"] as String)>\($0["dst"] as String) \($0["kind"] as String)" }
        }
        #expect(edges == ["A\"1>B\\2 also_bought", "B\\2>A\"1 also_bought", "B\\2>C\t3 also_bought",
                          "C\t3>A\"1 also_viewed", "C\t3>B\\2 also_viewed"])
        #expect(fixture.report.counts["dangling_edges"] == 1)
    }
}
