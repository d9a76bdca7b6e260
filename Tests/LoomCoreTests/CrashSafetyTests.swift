import Foundation
import GRDB
import LoomTestSupport
import Testing
@testable import LoomCore

/// Runs a real stage in a child process and kills it, or races it for the lock.
@Suite(.serialized) struct CrashSafetyTests {
    /// A first output of 20 squares in `work`, and a second run, slow and with other values,
    /// that has written rows of its own.
    static func previousOutputAndSlowRun(in work: TemporaryDirectory) throws -> (output: String, before: StageMeta, slow: ProbeProcess) {
        let (status, _) = try ProbeProcess(arguments: [work.path, "20", "0"]).runToEnd()
        #expect(status == 0)
        let output = work.file("squares.sqlite")
        let before = try StageMeta.read(path: output)
        #expect(try SquaresStage.values(in: output) == (0..<20).map { $0 * $0 })

        let slow = ProbeProcess(arguments: [work.path, "100000", "2", "1000"])
        try slow.start()
        #expect(slow.waitForStderr(containing: "first row written"))
        usleep(200_000)
        return (output, before, slow)
    }

    @Test func sigkillHalfWayLeavesThePreviousOutputReadable() throws {
        let work = TemporaryDirectory()
        // The second run is killed once it has written rows.
        let (output, before, slow) = try Self.previousOutputAndSlowRun(in: work)
        slow.kill()
        #expect(slow.process.terminationReason == .uncaughtSignal)

        // The old output is intact and readable, and the half-written one is aside.
        let after = try StageMeta.read(path: output)
        #expect(after == before)
        #expect(try SquaresStage.values(in: output) == (0..<20).map { $0 * $0 })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".tmp-") }
        #expect(!leftovers.isEmpty)

        // The next run cleans the leftover up and replaces the output.
        let (again, _) = try ProbeProcess(arguments: [work.path, "5", "0", "1"]).runToEnd()
        #expect(again == 0)
        #expect(try SquaresStage.values(in: output) == [1, 2, 5, 10, 17])
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".tmp-") }.isEmpty)
    }

    @Test func sigtermRemovesTheTemporaryOutputAndExits75() throws {
        let work = TemporaryDirectory()
        let (output, before, slow) = try Self.previousOutputAndSlowRun(in: work)
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).contains { $0.contains(".tmp-") })
        kill(slow.process.processIdentifier, SIGTERM)
        slow.process.waitUntilExit()
        #expect(slow.process.terminationReason == .exit && slow.process.terminationStatus == ExitStatus.locked.rawValue)
        #expect(slow.remainingStderr().contains("interrupted by SIGTERM"))

        // The temporary output is gone, the previous one as it was.
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.contains(".tmp-") }.isEmpty)
        #expect(try StageMeta.read(path: output) == before)
        #expect(try SquaresStage.values(in: output) == (0..<20).map { $0 * $0 })
    }

    @Test func secondRunOnTheSameWorkDirectoryIsLockedOutWith75() throws {
        let work = TemporaryDirectory()
        let holder = ProbeProcess(arguments: [work.path, "100000", "5"])
        try holder.start()
        defer { holder.kill() }
        #expect(holder.waitForStderr(containing: "first row written"))

        let (status, stderr) = try ProbeProcess(arguments: [work.path, "3", "0"]).runToEnd()
        #expect(status == ExitStatus.locked.rawValue)
        #expect(stderr.contains("locked by process \(holder.process.processIdentifier)"))

        #expect {
            _ = try WorkLock(workDirectory: work.path)
        } throws: { error in
            if case LoomError.locked(_, let pid) = error { return pid == holder.process.processIdentifier }
            return false
        }
    }

    @Test func lockIsReleasedWhenTheHolderDies() throws {
        let work = TemporaryDirectory()
        let holder = ProbeProcess(arguments: [work.path, "100000", "5"])
        try holder.start()
        #expect(holder.waitForStderr(containing: "first row written"))
        holder.kill()
        let lock = try WorkLock(workDirectory: work.path)
        lock.release()
    }

    /// Shards of one stage share the work directory; the same shard twice, or a whole `loom
    /// run` beside any stage command, does not (flock locks of separate opens conflict even
    /// within one process).
    @Test func stageLocksLetShardsRunSideBySide() throws {
        let work = TemporaryDirectory()
        func isLocked(_ scope: WorkLock.Scope) -> Bool {
            do {
                _ = try WorkLock(workDirectory: work.path, scope: scope)
                return false
            } catch LoomError.locked {
                return true
            } catch {
                return false
            }
        }
        let first = try WorkLock(workDirectory: work.path, scope: .stage("images", try Shard(index: 0, count: 2)))
        let second = try WorkLock(workDirectory: work.path, scope: .stage("images", try Shard(index: 1, count: 2)))
        let text = try WorkLock(workDirectory: work.path, scope: .stage("text", .whole))
        #expect(isLocked(.stage("images", try Shard(index: 1, count: 2))), "the same shard twice")
        #expect(isLocked(.directory), "a whole run while stage commands write")
        #expect(!isLocked(.stage("images", .whole)), "the stage's merge beside its shards")
        let lockFiles = { try FileManager.default.contentsOfDirectory(atPath: work.path).filter { $0.hasPrefix(".loom.lock") }.sorted() }
        #expect(try lockFiles() == [".loom.lock", ".loom.lock.images.shard-0-of-2", ".loom.lock.images.shard-1-of-2", ".loom.lock.text"])
        for lock in [first, second, text] { lock.release() }
        #expect(try lockFiles() == [".loom.lock"], "a released stage lock leaves no file behind")
        let again = try WorkLock(workDirectory: work.path, scope: .stage("images", try Shard(index: 1, count: 2)))
        #expect(isLocked(.stage("images", try Shard(index: 1, count: 2))), "locked again on a new file")
        again.release()
        let run = try WorkLock(workDirectory: work.path)
        #expect(isLocked(.stage("images", try Shard(index: 0, count: 2))), "a stage command while a run holds the directory")
        run.release()
        #expect(!isLocked(.directory))
    }

    @Test func sourceDateEpochMakesOutputsByteIdentical() throws {
        let a = TemporaryDirectory()
        let b = TemporaryDirectory()
        let environment = ["SOURCE_DATE_EPOCH": "1700000000"]
        #expect(try ProbeProcess(arguments: [a.path, "50", "0"], environment: environment).runToEnd().0 == 0)
        #expect(try ProbeProcess(arguments: [b.path, "50", "0"], environment: environment).runToEnd().0 == 0)
        let bytesA = try Data(contentsOf: URL(fileURLWithPath: a.file("squares.sqlite")))
        let bytesB = try Data(contentsOf: URL(fileURLWithPath: b.file("squares.sqlite")))
        #expect(bytesA == bytesB)
        #expect(try StageMeta.read(path: a.file("squares.sqlite")).started == "2023-11-14T22:13:20Z")
    }
}
