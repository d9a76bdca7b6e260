import Foundation
import GRDB
import LoomTestSupport
import Testing
@testable import LoomCore

/// What a rerun that keeps last night's rows relies on: an image folder's fingerprint that sees
/// every change and nothing else, a kernel copy of the previous output, and a content hash under
/// which a set of self-hashed rows does not depend on their order.
@Suite struct RerunStorageTests {
    @Test func aFolderFingerprintSeesNestedFilesAndLinksAndChangesWithAnyOfThem() throws {
        let directory = TemporaryDirectory()
        let folder = directory.file("images")
        try FileManager.default.createDirectory(atPath: folder + "/sub/deeper", withIntermediateDirectories: true)
        try Data("a".utf8).write(to: URL(fileURLWithPath: folder + "/a.jpg"))
        try Data("bb".utf8).write(to: URL(fileURLWithPath: folder + "/sub/deeper/b.jpg"))
        try Data("target".utf8).write(to: URL(fileURLWithPath: directory.file("elsewhere.jpg")))
        try FileManager.default.createSymbolicLink(atPath: folder + "/linked.jpg", withDestinationPath: directory.file("elsewhere.jpg"))
        let names = try DirectoryWalk.files(under: folder).map(\.name).sorted()
        #expect(names == ["a.jpg", "linked.jpg", "sub/deeper/b.jpg"])
        #expect(try DirectoryWalk.files(under: folder).first { $0.name == "linked.jpg" }?.size == 6)

        let before = try ContentHash.directory(atPath: folder)
        #expect(try ContentHash.directory(atPath: folder) == before)
        // A new modification time on a nested file, a changed link target, an added file: each a new fingerprint.
        var seen = [before]
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSince1970: 1_000_000)],
                                              ofItemAtPath: folder + "/sub/deeper/b.jpg")
        seen.append(try ContentHash.directory(atPath: folder))
        try Data("other target".utf8).write(to: URL(fileURLWithPath: directory.file("elsewhere.jpg")))
        seen.append(try ContentHash.directory(atPath: folder))
        try Data("c".utf8).write(to: URL(fileURLWithPath: folder + "/c.png"))
        seen.append(try ContentHash.directory(atPath: folder))
        #expect(Set(seen).count == 4)
        #expect(throws: LoomError.self) { try ContentHash.directory(atPath: directory.file("missing")) }
    }

    @Test func aCopyHasTheSameBytes() throws {
        let directory = TemporaryDirectory()
        var random = SeededRandom(seed: 7)
        let bytes = (0..<(3 << 20) + 17).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        try Data(bytes).write(to: URL(fileURLWithPath: directory.file("source")))
        try Data("old, longer than nothing".utf8).write(to: URL(fileURLWithPath: directory.file("copy")))
        try FileCopy.copy(from: directory.file("source"), to: directory.file("copy"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.file("copy"))) == Data(bytes))
        #expect(throws: LoomError.self) { try FileCopy.copy(from: directory.file("missing"), to: directory.file("copy2")) }
    }

    /// A rerun starts from a copy of the previous output only under the same reuse key and the
    /// same tables; the previous output stays as it was until commit.
    @Test func anOutputAdoptsThePreviousOnlyWithTheSameKeyAndTables() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("things.sqlite")
        let schema = "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
        func commit(_ output: StageOutput, key: String) throws {
            var meta = StageMeta(stage: "things", loomVersion: "test", settings: "{}", inputs: [], shard: "0/1", started: "",
                                 finished: "", records: 0, rejects: 0, counts: [:], contentHash: "")
            meta.extra = [StageOutput.reuseKeyName: key]
            _ = try output.commit(meta: meta)
        }
        func names(_ output: StageOutput) throws -> [String] {
            try output.database.read { db in try String.fetchAll(db, sql: "SELECT name FROM things ORDER BY id") }
        }
        let first = try StageOutput(stage: "things", finalPath: path)
        #expect(try !first.adoptPrevious(reuseKey: "k1", schema: schema), "nothing to adopt yet")
        try first.database.write { db in
            try db.execute(sql: schema + "INSERT INTO things (name) VALUES ('shoe'), ('skirt');")
        }
        first.rejects.record(source: "x", position: "1", reason: RejectReason("bad"), detail: "a reject of the first run")
        try commit(first, key: "k1")

        let same = try StageOutput(stage: "things", finalPath: path)
        #expect(try same.adoptPrevious(reuseKey: "k1", schema: schema))
        #expect(try names(same) == ["shoe", "skirt"])
        #expect(try same.database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rejects") } == 0)
        try same.database.write { db in try db.execute(sql: "INSERT INTO things (name) VALUES ('belt')") }
        #expect(try StageOutputReader.open(path: path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM things") } == 2,
                "the previous output is untouched before commit")
        same.discard()

        let otherKey = try StageOutput(stage: "things", finalPath: path)
        #expect(try !otherKey.adoptPrevious(reuseKey: "k2", schema: schema))
        otherKey.discard()
        let otherTables = try StageOutput(stage: "things", finalPath: path)
        #expect(try !otherTables.adoptPrevious(reuseKey: "k1", schema: schema.replacingOccurrences(of: "name TEXT", with: "label TEXT")))
        #expect(try otherTables.database.read { db in try db.tableExists("things") } == false, "a fresh, empty output")
        #expect(try otherTables.database.read { db in try db.tableExists("rejects") && db.tableExists("meta") })
        otherTables.discard()
    }

    /// The same rows in two insertion orders: a table with a `content_hash` column hashes alike,
    /// and so does a table without a primary key (a set of rows, such as co-purchase edges, that a
    /// merge appends shard by shard); a table keyed by its rowid does not (its row order is
    /// content). A changed, missing or repeated row changes every kind.
    @Test func selfHashedAndKeylessTablesAreSetsAndAKeyedTableIsASequence() throws {
        func hash(_ order: [Int], table: String, payload: (Int) -> UInt8 = { UInt8($0) }) throws -> String {
            let queue = try DatabaseQueue()
            return try queue.write { db in
                try db.execute(sql: "CREATE TABLE rows (\(table), payload BLOB NOT NULL)")
                for index in order {
                    try db.execute(sql: "INSERT INTO rows VALUES (?, ?)", arguments: ["hash-\(index)", Data([payload(index)])])
                }
                return try ContentHash.database(db)
            }
        }
        let selfHashed = "content_hash TEXT NOT NULL UNIQUE", keyless = "key TEXT NOT NULL", keyed = "id INTEGER PRIMARY KEY"
        for table in [selfHashed, keyless] {
            #expect(try hash([1, 2, 3], table: table) == hash([3, 1, 2], table: table), "\(table)")
            #expect(try hash([1, 2, 3], table: table) != hash([1, 2], table: table), "\(table)")
        }
        #expect(try hash([1, 2, 3], table: keyless) != hash([1, 2, 3], table: keyless) { $0 == 2 ? 9 : UInt8($0) })
        #expect(try hash([1, 2, 3], table: keyless) != hash([1, 2, 3, 3], table: keyless))
        #expect(try hash([1, 2, 2, 3], table: keyless) != hash([1, 2, 3, 3], table: keyless))
        // Ids as text never match INTEGER PRIMARY KEY; give the keyed table numbers.
        func keyedHash(_ order: [Int]) throws -> String {
            let queue = try DatabaseQueue()
            return try queue.write { db in
                try db.execute(sql: "CREATE TABLE rows (\(keyed), payload BLOB NOT NULL)")
                for (position, index) in order.enumerated() {
                    try db.execute(sql: "INSERT INTO rows VALUES (?, ?)", arguments: [position, Data([UInt8(index)])])
                }
                return try ContentHash.database(db)
            }
        }
        #expect(try keyedHash([1, 2, 3]) != keyedHash([3, 1, 2]))
    }
}
