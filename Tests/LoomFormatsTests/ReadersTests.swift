import Foundation
import GRDB
import LoomCore
import LoomFormats
import Testing

/// The readers over tables made from the outputs' own schemas: every row comes back once, in id
/// order, across chunk boundaries; damaged values come back as nil, not as a crash.
@Suite struct ReadersTests {
    static func database(_ file: StageOutputFile, _ rows: String) throws -> DatabaseQueue {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: file.schema)
            try db.execute(sql: rows)
        }
        return queue
    }

    @Test func catalogItemsInIdOrderAcrossChunks() throws {
        var inserts = ""
        for id in stride(from: 9, through: 1, by: -1) {   // inserted out of order
            let image = id % 3 == 0 ? "'img/\(id).jpg'" : "NULL"
            inserts += """
                INSERT INTO items (id, asin, title, description, brand, category, type, image, source, line)
                VALUES (\(id), 'A\(id)', 'Title \(id)', \(id % 2 == 0 ? "NULL" : "'Desc'"), NULL, 'Women > Shoes', 'shoes', \(image), 'f', \(id));
                """
        }
        let catalog = try Self.database(.catalog, inserts)
        var seen: [Int64] = []
        var chunks = 0
        try CatalogReader.forEachChunk(catalog, chunk: 4) { items in
            chunks += 1
            seen += items.map(\.id)
        }
        #expect(seen == Array(1...9) && chunks == 3)
        let first = try CatalogReader.items(catalog, after: 0, limit: 1)[0]
        #expect(first.text([.title, .description, .brand]) == "Title 1 Desc")
        #expect(try CatalogReader.items(catalog, after: 1, limit: 1)[0].text([.description, .title]) == "Title 2")
        #expect(try CatalogReader.itemImages(catalog).map(\.path) == ["img/3.jpg", "img/6.jpg", "img/9.jpg"])
        #expect(try CatalogReader.imageFolders(catalog) == ["img"])
        #expect(try CatalogReader.itemCount(catalog) == 9 && CatalogReader.countWithoutImage(catalog) == 6)
        #expect(try CatalogReader.types(catalog)[4] == "shoes")
        let listed = try CatalogReader.listings(catalog, after: 8, limit: 5)
        #expect(listed.map(\.asin) == ["A9"] && listed[0].title == "Title 9" && listed[0].category == "Women > Shoes"
                && listed[0].image == "img/9.jpg" && listed[0].type == "shoes")
    }

    /// A file made by another tool (no NOT NULL, a table missing) is refused naming the file, the
    /// table and the column, as bad input (exit 65) rather than stopping the process.
    @Test func aValueOrTableOutsideTheFormatIsBadInput() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("readers-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let foreign = try DatabaseQueue(path: path)
        try foreign.write { db in
            try db.execute(sql: """
                CREATE TABLE items (id INTEGER PRIMARY KEY, asin TEXT, title TEXT, description TEXT, brand TEXT, category TEXT,
                                    type TEXT, image TEXT);
                INSERT INTO items (id, asin, type) VALUES (1, 'A1', 'shoes'), (2, NULL, 'shoes');
                CREATE TABLE splits (item INTEGER, split TEXT);
                INSERT INTO splits VALUES (1, 'train'), ('one', 'test');
                """)
        }
        func refusal(_ read: () throws -> Void) -> String {
            do {
                try read()
                return "read"
            } catch let error as LoomError {
                return error.exitStatus == .dataRejected ? "\(error)" : "exit \(error.exitStatus): \(error)"
            } catch {
                return "untyped: \(error)"
            }
        }
        #expect(try CatalogReader.items(foreign, after: 0, limit: 1).map(\.asin) == ["A1"])
        #expect(refusal { _ = try CatalogReader.items(foreign, after: 0, limit: 10) }
                == "bad input: \(path), table items, asin: NULL where String is expected")
        #expect(refusal { _ = try TripletsReader.splits(foreign) }
                == "bad input: \(path), table splits, item: text where Int64 is expected")
        #expect(refusal { try TripletsReader.forEachQuestion(foreign) { _ in } }.hasPrefix("bad input: \(path), table fitb: not the table a Loom output holds (no such table: fitb"))
    }

    @Test func tripletsRowsWithTheirCodecs() throws {
        var negatives = Data()
        NegativesBlob.encode([7, 8], into: &negatives)
        let hex = negatives.map { String(format: "%02x", $0) }.joined()
        let triplets = try Self.database(.triplets, """
            INSERT INTO splits (item, split) VALUES (1, 'train'), (2, 'test'), (3, 'holdout');
            INSERT INTO triplets (anchor, positive, weight, mentions, reciprocal, split, negatives)
                VALUES (1, 2, 0.5, 1, 0, 'train', x'\(hex)'), (2, 1, 1.0, 1, 0, 'nonsense', x'');
            INSERT INTO fitb (anchor, answer, candidates) VALUES (2, 1, '[4,1,5]'), (2, 1, '[4,');
            """)
        #expect(try TripletsReader.splits(triplets) == [1: .train, 2: .test])
        var pairs: [TripletsReader.Pair] = []
        try TripletsReader.forEachPair(triplets) { pairs.append($0) }
        #expect(pairs.map(\.negatives) == [[7, 8], []] && pairs.map(\.split) == [.train, nil] && pairs[0].weight == 0.5)
        var questions: [TripletsReader.Question] = []
        try TripletsReader.forEachQuestion(triplets) { questions.append($0) }
        #expect(questions.map(\.candidates) == [[4, 1, 5], nil])
    }
}
