import Foundation
import GRDB
import LoomTestSupport
import Testing
@testable import LoomCore

/// Rejects are buffered and written in blocks; a block fills wherever a stage records one,
/// usually inside the stage's own write to its output, and nothing may be lost or crash there.
@Suite struct RejectLogTests {
    static let reason = RejectReason("broken")

    @Test func rejectsRecordedInsideAndOutsideTheStagesWritesAreAllKept() throws {
        let work = TemporaryDirectory()
        let final = work.file("out.sqlite")
        let output = try StageOutput(stage: "test", finalPath: final)
        // 10,000 inside writes (the buffer of 4,096 fills twice there), 3,000 outside any.
        for round in 0..<10 {
            try output.database.write { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS rows (n INTEGER)")
                for index in 0..<1_000 {
                    output.rejects.record(source: "in", position: "\(round * 1_000 + index)", reason: Self.reason, detail: "")
                }
                try db.execute(sql: "INSERT INTO rows VALUES (?)", arguments: [round])
            }
        }
        for index in 0..<3_000 {
            output.rejects.record(source: "out", position: "\(index)", reason: Self.reason, detail: "")
        }
        let meta = StageMeta(stage: "test", loomVersion: LoomVersion.current, settings: "{}", inputs: [], shard: "whole",
                             started: "", finished: "", records: 13_000, rejects: output.rejects.total, counts: [:], contentHash: "")
        _ = try output.commit(meta: meta)
        let queue = try DatabaseQueue(path: final)
        let (inside, outside, rows) = try queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT position) FROM rejects WHERE source = 'in'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT position) FROM rejects WHERE source = 'out'") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rows") ?? 0)
        }
        #expect(inside == 10_000 && outside == 3_000 && rows == 10)
        #expect(output.rejects.total == 13_000)
    }
}
