import Foundation
import GRDB
import LoomTestSupport
import Testing
@testable import LoomCore

/// Every error gets a status from the README's table: SQLite's by result code, Foundation's file
/// errors by kind, anything else 70; and real failures of real SQLite files land where the table
/// says.
@Suite struct ErrorClassificationTests {
    @Test(arguments: [
        (ResultCode.SQLITE_FULL, LoomCore.ExitStatus.cannotCreateOutput), (.SQLITE_IOERR, .cannotCreateOutput),
        (.SQLITE_CANTOPEN, .cannotCreateOutput), (.SQLITE_READONLY, .cannotCreateOutput), (.SQLITE_PERM, .cannotCreateOutput),
        (.SQLITE_CORRUPT, .dataRejected), (.SQLITE_NOTADB, .dataRejected), (.SQLITE_BUSY, .locked), (.SQLITE_LOCKED, .locked),
        (.SQLITE_MISUSE, .internalError), (.SQLITE_CONSTRAINT, .internalError), (.SQLITE_ERROR, .internalError),
    ])
    func sqliteErrorsByResultCode(_ code: ResultCode, _ status: LoomCore.ExitStatus) {
        let error = DatabaseError(resultCode: code, message: "from the test")
        #expect(LoomError.classify(error, output: "work/x.sqlite").exitStatus == status)
    }

    @Test func foundationFileErrorsByKind() {
        #expect(LoomError.classify(CocoaError(.fileWriteOutOfSpace)).exitStatus == .cannotCreateOutput)
        #expect(LoomError.classify(CocoaError(.fileReadNoSuchFile)).exitStatus == .inputMissing)
        #expect(LoomError.classify(CocoaError(.fileReadInapplicableStringEncoding)).exitStatus == .dataRejected)
        struct Unexpected: Error {}
        #expect(LoomError.classify(Unexpected()).exitStatus == .internalError)
        let kept = LoomError.usage("as it was")
        #expect(LoomError.classify(kept).exitStatus == .usage)
    }

    /// A file that is not SQLite, written to as an output, and one that cannot be created.
    @Test func realSQLiteFailuresLandInTheTable() throws {
        let directory = TemporaryDirectory()
        let notSQLite = directory.file("notes.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: notSQLite))
        do {
            let queue = try DatabaseQueue(path: notSQLite)
            try queue.write { db in try db.execute(sql: "CREATE TABLE t (x)") }
            Issue.record("a text file took a table")
        } catch {
            #expect(LoomError.classify(error).exitStatus == .dataRejected, "\(error)")
        }
        do {
            _ = try DatabaseQueue(path: directory.file("missing/dir/out.sqlite"))
            Issue.record("opened a file in a directory that does not exist")
        } catch {
            #expect(LoomError.classify(error, output: "out.sqlite").exitStatus == .cannotCreateOutput, "\(error)")
        }
    }
}
