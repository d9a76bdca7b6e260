import Foundation
import GRDB
import LoomCore
import LoomImaging
import LoomTestSupport
import Testing

/// A rerun of images (and features) updates last night's output in place, in one SQLite
/// transaction, instead of copying it: the file keeps its inode, ends as a fresh run's content,
/// and a kill, a failure or too many rejects leave the previous output as it was.
@Suite struct InPlaceUpdateTests {
    /// SampleData's 2018 catalog over a copy of its photos, through ingest and images.
    struct Catalog {
        let directory = TemporaryDirectory("loom-in-place")
        var images: String { directory.file("images") }

        init(maxRejectRatio: Double = 0.05) throws {
            try FileManager.default.copyItem(atPath: CommandLineTests.root + "/SampleData/images", toPath: images)
            try """
                work: ${LOOM_WORK}
                out: ${LOOM_WORK}/out
                stages:
                  ingest: {catalog: [\(CommandLineTests.root)/SampleData/catalog/meta_2018.jsonl], images: [\(images)]}
                  images: {max_reject_ratio: \(maxRejectRatio)}
                """.write(toFile: directory.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        }

        func output(_ work: String) -> String { directory.file("\(work)/images.sqlite") }

        /// `loom run` of the pipeline into `work`, to the end or started and returned.
        func process(_ work: String, _ flags: [String] = []) -> ProbeProcess {
            ProbeProcess("loom", arguments: ["run", directory.file("pipeline.yaml"), "--no-progress"] + flags,
                         environment: ["LOOM_WORK": directory.file(work)], directory: CommandLineTests.root)
        }

        func run(_ work: String, _ flags: [String] = []) throws -> (status: Int32, stdout: String, stderr: String) {
            try process(work, flags).runCapturingOutput()
        }

        func contentHash(_ work: String) throws -> String { try StageMeta.read(path: output(work)).contentHash }

        func inode(_ work: String) throws -> UInt64 {
            try #require(FileStamp(path: output(work))).inode
        }

        /// Every file beside the outputs that a run left behind: temporary outputs, journals.
        func leftovers(_ work: String) -> [String] {
            (FileManager.default.subpaths(atPath: directory.file(work)) ?? []).filter { $0.contains(".tmp-") || $0.hasSuffix("-journal") }
        }

        /// The photos the catalog's items have, as ingest found them in `work`, in name order.
        func photos(_ work: String) throws -> [String] {
            let catalog = try StageOutputReader.open(path: directory.file("\(work)/catalog.sqlite"))
            defer { try? catalog.close() }
            return try catalog.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT image FROM items WHERE image IS NOT NULL ORDER BY image") }
        }

        /// Replaces the `index`-th PNG photo an item of `work` has by a new picture: stripes of `colour`.
        func replacePhoto(_ index: Int, colour: UInt8, work: String) throws {
            let photo = try #require(try photos(work).filter { $0.hasSuffix(".png") }.dropFirst(index).first)
            let pixels = (0..<(96 * 96)).flatMap { pixel -> [UInt8] in pixel / 96 % 16 < 8 ? [colour, 40, 200] : [250, 250, colour] }
            try Data(try PNGEncoder.encode(pixels, width: 96, height: 96)).write(to: URL(fileURLWithPath: photo))
        }
    }

    @Test func aRerunUpdatesTheOutputInPlaceAndEqualsAFreshRun() throws {
        let catalog = try Catalog()
        let first = try catalog.run("a")
        try #require(first.status == 0, "\(first.stderr)")
        let inode = try catalog.inode("a")
        try catalog.replacePhoto(0, colour: 10, work: "a")
        try catalog.replacePhoto(1, colour: 90, work: "a")

        let second = try catalog.run("a")
        #expect(second.status == 0, "\(second.stderr)")
        let report = try JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: catalog.directory.file("a/reports/images.json"))))
        #expect(report.counts["computed"] == 2 && report.counts["files_read"] == 2, "only the replaced photos are read: \(report.counts)")
        #expect(try catalog.inode("a") == inode, "the previous file itself was updated, not replaced by a copy")
        #expect(catalog.leftovers("a").isEmpty, "\(catalog.leftovers("a"))")
        let fresh = try catalog.run("b")
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try catalog.contentHash("a") == catalog.contentHash("b"))
        // The stored images' count and bytes, kept up to date through the update, are the fresh run's.
        let freshReport = try JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: catalog.directory.file("b/reports/images.json"))))
        for key in ["stored_images", "bytes_stored"] {
            #expect(report.counts[key] != nil && report.counts[key] == freshReport.counts[key], "\(key): \(report.counts) vs \(freshReport.counts)")
        }
    }

    @Test func aKilledUpdateLeavesThePreviousOutputAndTheNextRunFinishesIt() throws {
        let catalog = try Catalog()
        let first = try catalog.run("a")
        try #require(first.status == 0, "\(first.stderr)")
        let before = try catalog.contentHash("a")
        let journal = catalog.output("a") + "-journal"

        var random = SeededRandom(seed: 20_261_205)
        var landed = 0, attempts = 0
        while landed < 3, attempts < 30 {
            attempts += 1
            let run = catalog.process("a", ["--only", "images", "--force"])
            try run.start()
            while run.process.isRunning, !FileManager.default.fileExists(atPath: journal) { usleep(500) }
            guard run.process.isRunning else { continue }   // committed between two looks
            usleep(UInt32(random.unit() * 20_000))
            kill(run.process.processIdentifier, SIGKILL)
            run.process.waitUntilExit()
            guard FileManager.default.fileExists(atPath: journal) else { continue }
            landed += 1
            // Whatever the transaction had written is rolled back by the next reader (a journal
            // left whose header was never synced is not hot: nothing was written to the file).
            #expect(try catalog.contentHash("a") == before, "kill \(landed): the previous output, whole")
            // An update run to its end leaves no journal, hot or not, behind.
            let clean = try catalog.run("a", ["--only", "images", "--force"])
            #expect(clean.status == 0 && !FileManager.default.fileExists(atPath: journal), "\(clean.stderr)")
        }
        #expect(landed == 3, "\(landed) kills landed inside the update in \(attempts) attempts")

        // Killed after SQLite had written changed pages into the file: a hot journal, which the
        // next reader rolls back. (Made here from inside a transaction forced to spill its pages.)
        let crashed = catalog.directory.file("crashed.sqlite")
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA cache_size = 2") }
        let updating = try DatabaseQueue(path: catalog.output("a"), configuration: configuration)
        struct Killed: Error {}
        #expect(throws: Killed.self) {
            try updating.write { db in
                try db.execute(sql: "DELETE FROM images WHERE id % 2 = 0; DELETE FROM pixels WHERE rowid % 3 = 0")
                try FileManager.default.copyItem(atPath: catalog.output("a"), toPath: crashed)
                try FileManager.default.copyItem(atPath: journal, toPath: crashed + "-journal")
                throw Killed()
            }
        }
        try updating.close()
        #expect(try ContentHash.file(atPath: crashed) != ContentHash.file(atPath: catalog.output("a")), "the pages were written")
        _ = unlink(catalog.output("a"))
        try FileManager.default.moveItem(atPath: crashed, toPath: catalog.output("a"))
        try FileManager.default.moveItem(atPath: crashed + "-journal", toPath: journal)
        let status = try catalog.run("a", ["--dry-run"])
        #expect(status.status == 0 && status.stdout.contains("images: skipped"), "the rolled-back output is fresh: \(status.stdout)")
        #expect(try catalog.contentHash("a") == before && !FileManager.default.fileExists(atPath: journal))

        let last = try catalog.run("a", ["--only", "images", "--force"])
        #expect(last.status == 0, "\(last.stderr)")
        #expect(try catalog.contentHash("a") == before)
        #expect(catalog.leftovers("a").isEmpty, "\(catalog.leftovers("a"))")
    }

    @Test func anUpdateWithTooManyRejectsKeepsThePreviousBytesAndItsRejectsAside() throws {
        let catalog = try Catalog(maxRejectRatio: 0.001)
        let first = try catalog.run("a")
        try #require(first.status == 0, "\(first.stderr)")
        let bytes = try ContentHash.file(atPath: catalog.output("a"))
        let photo = try catalog.photos("a")[5]
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: photo))

        let second = try catalog.run("a")
        #expect(second.status == 65, "\(second.stderr)")
        #expect(try ContentHash.file(atPath: catalog.output("a")) == bytes, "the previous output, byte for byte")
        let failed = try StageOutputReader.open(path: catalog.output("a") + ".failed")
        let rejects = try failed.read { db in try String.fetchAll(db, sql: "SELECT position FROM rejects") }
        #expect(rejects == [photo], "\(rejects)")
        #expect(catalog.leftovers("a").isEmpty, "\(catalog.leftovers("a"))")
    }
}
