import Foundation
import Testing
@testable import LoomIngest

/// Co-purchase lists are stored as JSON arrays that SQLite's json_each splits again.
@Suite struct CatalogWriterTests {
    @Test func jsonArraysReadBackAsTheListsTheyWereMadeFrom() throws {
        let lists: [[String]] = [
            [], ["B000123456"], ["B000123456", "B0000AAAAA", "0123456789"],
            ["quote \" inside", #"back\slash"#, "tab\tand\nnewline\u{1}", "café", "日本語", String(repeating: "x", count: 300)],
            ["ends with \\", "\"", ""],
        ]
        for list in lists {
            let bytes = CatalogWriter.jsonArray(list)
            let decoded = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String]
            #expect(decoded == list, "\(String(decoding: bytes, as: UTF8.self))")
        }
    }
}
