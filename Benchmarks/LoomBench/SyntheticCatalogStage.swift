import Foundation
import GRDB
import LoomCore
import LoomFormats

/// Writes a catalog.sqlite (as the ingest stage would) holding a power-law co-purchase graph:
/// `items` items of the nine coarse types and `edges` edges whose targets follow a heavy-tailed
/// popularity (u³ of the item range), 80% also_bought, 10% bought_together, 10% also_viewed.
/// Run through the stage runner, so its `meta` is real and the triplets stage accepts it.
struct SyntheticCatalogStage: Stage {
    struct Settings: StageSettings {
        var items: Int
        var edges: Int
        static let defaults = Settings(items: 1_000, edges: 10_000)
    }

    static let name = StageOutputFile.catalog.stage
    static let outputFileName = StageOutputFile.catalog.fileName

    func inputs(_ settings: Settings, context: StageContext) throws -> [StageInput] { [] }

    func run(_ settings: Settings, context: StageContext, output: StageOutput) throws -> StageResult {
        let types = CoarseType.allCases.map(\.rawValue)
        try output.database.write { db in
            // The catalog's tables without edges' UNIQUE (src, dst, kind): building that index
            // over 20M random edges would cost the benchmark's setup minutes, and the triplet
            // stage merges repeated pairs anyway. The figures in #26 were measured on this input.
            try db.execute(sql: """
                CREATE TABLE items (id INTEGER PRIMARY KEY, asin TEXT NOT NULL UNIQUE, title TEXT, description TEXT, brand TEXT,
                    price REAL, category TEXT, type TEXT NOT NULL, image TEXT, image_url TEXT, source TEXT NOT NULL, line INTEGER NOT NULL);
                CREATE TABLE edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, kind TEXT NOT NULL);
                """)
            let item = try BoundStatement(db, sql: "INSERT INTO items (id, asin, type, source, line) VALUES (?, ?, ?, 'synthetic', ?)")
            var random = SeededRandom(seed: 1)
            for id in 1...settings.items {
                item.bind(1, Int64(id))
                item.bind(2, String(format: "S%09d", id))
                item.bind(3, types[Int(random.next() % UInt64(types.count))])
                item.bind(4, Int64(id))
                try item.run()
            }
            let edge = try BoundStatement(db, sql: "INSERT INTO edges (src, dst, kind) VALUES (?, ?, ?)")
            for _ in 0..<settings.edges {
                let src = Int64(random.next() % UInt64(settings.items)) + 1
                let u = random.unit()
                let dst = Int64(Double(settings.items) * u * u * u) + 1
                let roll = random.next() % 10
                edge.bind(1, src)
                edge.bind(2, dst)
                edge.bind(3, (roll < 8 ? EdgeKind.alsoBought : roll == 8 ? .boughtTogether : .alsoViewed).rawValue)
                try edge.run()
            }
        }
        return StageResult(records: settings.edges, counts: ["items": settings.items, "edges": settings.edges], unit: "edges")
    }
}
