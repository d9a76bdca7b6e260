import Foundation
import GRDB
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
        #expect(first.text(["title", "description", "brand"]) == "Title 1 Desc")
        #expect(try CatalogReader.items(catalog, after: 1, limit: 1)[0].text(["description", "title"]) == "Title 2")
        #expect(try CatalogReader.itemImages(catalog).map(\.path) == ["img/3.jpg", "img/6.jpg", "img/9.jpg"])
        #expect(try CatalogReader.imageFolders(catalog) == ["img"])
        #expect(try CatalogReader.itemCount(catalog) == 9 && CatalogReader.countWithoutImage(catalog) == 6)
        #expect(try CatalogReader.types(catalog)[4] == "shoes")
        let listed = try CatalogReader.listings(catalog, after: 8, limit: 5)
        #expect(listed.map(\.asin) == ["A9"] && listed[0].title == "Title 9" && listed[0].category == "Women > Shoes"
                && listed[0].image == "img/9.jpg" && listed[0].type == "shoes")
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
