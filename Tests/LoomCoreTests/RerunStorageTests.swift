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

    /// The same rows in two insertion orders: a table with a `content_hash` column hashes alike,
    /// a plain table does not (its row order is content).
    @Test func aSelfHashedTableIsASetAndAPlainTableIsASequence() throws {
        func hash(_ order: [Int], column: String) throws -> String {
            let queue = try DatabaseQueue()
            return try queue.write { db in
                try db.execute(sql: "CREATE TABLE rows (\(column) TEXT NOT NULL UNIQUE, payload BLOB NOT NULL)")
                for index in order {
                    try db.execute(sql: "INSERT INTO rows VALUES (?, ?)", arguments: ["hash-\(index)", Data([UInt8(index)])])
                }
                return try ContentHash.database(db)
            }
        }
        #expect(try hash([1, 2, 3], column: "content_hash") == hash([3, 1, 2], column: "content_hash"))
        #expect(try hash([1, 2, 3], column: "content_hash") != hash([1, 2], column: "content_hash"))
        #expect(try hash([1, 2, 3], column: "key") != hash([3, 1, 2], column: "key"))
    }
}
