import Foundation
import GRDB
import LoomCore
import LoomTestSupport
import Testing

/// `loom merge` builds the merged output inside shard 0's own file, in one transaction: a merge
/// that fails part way leaves shard 0 byte for byte as it was, one killed part way (a hot
/// rollback journal beside shard 0) is rolled back by the next merge, which then succeeds, and
/// one killed between its commit and its rename is finished by the next.
@Suite struct MergeSafetyTests {
    @Test func aFailedOrKilledMergeLeavesShardZeroAsItWas() throws {
        let directory = TemporaryDirectory("loom-merge-safety")
        let work = directory.file("work")
        func loom(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try ProbeProcess("loom", arguments: arguments, environment: ["LOOM_WORK": work, "LOOM_OUT": directory.file("out")],
                             directory: CommandLineTests.root).runCapturingOutput()
        }
        let ingest = try loom(["run", "Pipelines/sample.yaml", "--only", "ingest", "--no-progress"])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        func shards() throws {
            for index in 0..<2 {
                let shard = try loom(["text", "--work", work, "--shard", "\(index)/2", "--no-progress"])
                try #require(shard.status == 0, "\(shard.stderr)")
            }
        }
        try shards()
        let shard0 = work + "/text.shard-0-of-2.sqlite", shard1 = work + "/text.shard-1-of-2.sqlite"
        let whole = work + "/text.sqlite"
        let reference = try loom(["merge", "--work", work, "--stage", "text", "--keep-shards"])
        try #require(reference.status == 0, "\(reference.stderr)")
        let expected = try StageMeta.read(path: whole).contentHash
        try FileManager.default.removeItem(atPath: whole)
        let digest = ContentHash.file(atPath:)

        // Shard 1 also holds one of shard 0's items: found after shard 1's other rows went in.
        let cleanShard1 = try Data(contentsOf: URL(fileURLWithPath: shard1))
        let overlapping = try DatabaseQueue(path: shard1)
        try overlapping.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS zero", arguments: [shard0])
            try db.execute(sql: "INSERT INTO main.tokens SELECT * FROM zero.tokens ORDER BY id DESC LIMIT 1")
            try db.execute(sql: "DETACH DATABASE zero")
        }
        try overlapping.close()
        let before = try digest(shard0)
        let failed = try loom(["merge", "--work", work, "--stage", "text"])
        #expect(failed.status == 65 && failed.stderr.contains("rows that an earlier shard holds too"), "\(failed.stderr)")
        #expect(try digest(shard0) == before, "a failed merge leaves shard 0's bytes as they were")
        #expect(!FileManager.default.fileExists(atPath: shard0 + "-journal") && !FileManager.default.fileExists(atPath: whole))
        try cleanShard1.write(to: URL(fileURLWithPath: shard1))

        // A merge killed part way: shard 0 changed on disk, its hot journal beside it (taken
        // from inside a transaction whose changes SQLite had to spill to the file).
        let crashed = directory.file("crashed.sqlite")
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = 2") }
        let merging = try DatabaseQueue(path: shard0, configuration: configuration)
        struct Killed: Error {}
        #expect(throws: Killed.self) {
            try merging.write { db in
                try db.execute(sql: "DELETE FROM tokens WHERE id % 3 = 0")
                try FileManager.default.copyItem(atPath: shard0, toPath: crashed)
                try FileManager.default.copyItem(atPath: shard0 + "-journal", toPath: crashed + "-journal")
                throw Killed()
            }
        }
        try merging.close()
        #expect(try digest(crashed) != before, "the killed merge had written to shard 0")
        _ = unlink(shard0)
        try FileManager.default.moveItem(atPath: crashed, toPath: shard0)
        try FileManager.default.moveItem(atPath: crashed + "-journal", toPath: shard0 + "-journal")

        let merged = try loom(["merge", "--work", work, "--stage", "text"])
        #expect(merged.status == 0, "\(merged.stderr)")
        #expect(try StageMeta.read(path: whole).contentHash == expected)
        let left = try FileManager.default.contentsOfDirectory(atPath: work).filter { $0.hasPrefix("text.shard-") }
        #expect(left.isEmpty, "merged shards are gone: \(left)")

        // A merge killed after its commit, before its rename: shard 0's file holds the whole
        // output and its marker says a merge was built there. The next merge renames it.
        try shards()
        try FileManager.default.removeItem(atPath: shard0)
        try FileManager.default.moveItem(atPath: whole, toPath: shard0)
        let wholeMeta = try StageMeta.read(path: shard0)
        let copy = try loom(["merge", "--work", work, "--stage", "text"])
        #expect(copy.status == 65 && copy.stderr.contains("not 0/2 as its name says"), "without the marker it is a renamed file: \(copy.stderr)")
        #expect(FileManager.default.createFile(atPath: shard0 + ".merging", contents: Data(whole.utf8)))
        let finished = try loom(["merge", "--work", work, "--stage", "text"])
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(try StageMeta.read(path: whole) == wholeMeta)
        let after = try FileManager.default.contentsOfDirectory(atPath: work).filter { $0.hasPrefix("text.shard-") }
        #expect(after.isEmpty, "shards and marker are gone: \(after)")
    }
}
