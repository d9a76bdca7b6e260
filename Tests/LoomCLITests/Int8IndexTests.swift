import Foundation
import GRDB
import LoomTestSupport
import Testing

/// An index made from int8 features (`features.precision: int8`) records it, and `loom query
/// --image` runs a new photo through the same int8 backbone: its scores are those of `loom forward
/// --precision int8`'s vector, not of the float backbone's (which would compare vectors of two
/// networks). Embed reuses no vector made from the float features before, and reads the precision
/// of a features output written before it was recorded from its reuse key. Called from the sample
/// run's test, on a copy of its work directory.
extension CommandLineTests {
    func anInt8IndexEmbedsNewPhotosWithTheInt8Backbone(work: TemporaryDirectory) throws {
        let copy = work.file("int8-work")
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        for name in ["catalog", "images", "text", "embeddings"] {   // the embeddings: of the float features
            try FileManager.default.copyItem(atPath: work.file("\(name).sqlite"), toPath: "\(copy)/\(name).sqlite")
        }
        let index = work.file("int8-out/index.sqlite"), model = work.file("models/loomnet-sample")
        func run(_ arguments: [String]) throws -> String {
            let result = try loom(arguments + ["--no-progress"])
            try #require(result.status == 0, "\(arguments[0]): \(result.stderr)")
            return result.stdout
        }
        _ = try run(["features", "--work", copy, "--precision", "int8"])
        let embedded = try run(["embed", "--work", copy, "--model", model])
        #expect(embedded.contains("computed 307") && embedded.contains("reused 0"), "vectors of the float features reused: \(embedded)")
        // A features output from before `precision` was recorded: its reuse key says int8.
        try DatabaseQueue(path: "\(copy)/features.sqlite").write { db in try db.execute(sql: "DELETE FROM meta WHERE key = 'precision'") }
        let again = try run(["embed", "--work", copy, "--model", model])
        #expect(again.contains("reused 307"), "\(again)")
        _ = try run(["index", "--work", copy, "--out", index])
        let recorded = try DatabaseQueue(path: index).read { db in
            try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'backbone_precision'")
        }
        #expect(recorded == "int8")

        let image = "SampleData/images/B0DQJ97ILR.jpg", title = "grey contrast-stripe jacket"
        let query = try loom(["query", "--index", index, "--image", image, "--title", title, "--k", "5", "--json"])
        try #require(query.status == 0, "\(query.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(query.stdout.utf8)) as? [String: Any])
        #expect(object["backbone"] as? String == "int8")
        let answers = try #require(object["results"] as? [[String: Any]]).map { ($0["asin"] as! String, $0["score"] as! Double) }
        try #require(answers.count == 5)
        let stored = try DatabaseQueue(path: index).read { db in
            try Dictionary(uniqueKeysWithValues: Row.fetchAll(db, sql: "SELECT asin, vector FROM vectors JOIN items USING(id)").map { row in
                let blob: Data = row["vector"]
                return (row["asin"] as String, blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) })
            })
        }
        // The largest gap between the query's scores and those of each backbone's vector.
        func gap(_ precision: String) throws -> Double {
            let forward = try loom(["forward", "--model", model, "--image", image, "--text", title, "--precision", precision, "--json"])
            try #require(forward.status == 0, "\(forward.stderr)")
            let embedding = try #require((try JSONSerialization.jsonObject(with: Data(forward.stdout.utf8)) as? [String: Any])?["embedding"]
                as? [Double])
            return try answers.map { asin, score in
                let vector = try #require(stored[asin])
                return abs(zip(embedding, vector).reduce(0) { $0 + $1.0 * Double($1.1) } - score)
            }.max() ?? .infinity
        }
        let int8 = try gap("int8"), fp32 = try gap("fp32")
        #expect(int8 < 1e-5, "the query's scores are not the int8 vector's (off by \(int8))")
        #expect(fp32 > 1e-4, "the float backbone's vector scores too close to tell the two apart (\(fp32))")
    }
}
