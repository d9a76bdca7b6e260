import Foundation
import GRDB
import LoomTestSupport
import Testing
@testable import LoomCore

@Suite struct StageRunnerTests {
    func context(_ work: TemporaryDirectory, seed: UInt64 = 1) -> StageContext {
        StageContext(workDirectory: work.path, threads: 1, seed: seed, showProgress: false)
    }

    func pipeline(_ work: TemporaryDirectory, _ settings: String) throws -> PipelineFile {
        try PipelineFile(path: work.file("pipeline.yaml"), text: """
            work: \(work.path)
            stages:
              squares:
            \(settings.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n"))
            """, environment: [:])
    }

    func runPipeline(_ work: TemporaryDirectory, _ settings: String, force: Bool = false) throws -> PipelineRunner.Step {
        let runner = try PipelineRunner(pipeline: try pipeline(work, settings), stages: [StageDescriptor(SquaresStage())],
                                        context: context(work))
        let steps = try runner.run(.init(force: force)) { _ in }
        return try #require(steps.first)
    }

    @Test func writesOutputWithMetaRejectsAndReport() throws {
        let work = TemporaryDirectory()
        let source = work.file("numbers.txt")
        try "1\n2\nthree\n4\n".write(toFile: source, atomically: true, encoding: .utf8)
        let settings = SquaresStage.Settings(rows: 0, source: source, delayMilliseconds: 0, offset: 0, maxRejectRatio: 0.5)
        let report = try StageRunner(context: context(work)).run(SquaresStage(), settings: settings)

        let output = work.file("squares.sqlite")
        #expect(try SquaresStage.values(in: output) == [1, 4, 16])
        let meta = try StageMeta.read(path: output)
        #expect(meta.stage == "squares")
        #expect(meta.loomVersion == LoomVersion.current)
        #expect(meta.records == 4)
        #expect(meta.rejects == 1)
        #expect(meta.inputs.map(\.label) == ["source:\(source)"])
        #expect(meta.settings.contains("\"seed\":1"))
        #expect(meta.contentHash.count == 64)

        let queue = try StageOutputReader.open(path: output)
        let reject = try queue.read { db in try Row.fetchOne(db, sql: "SELECT * FROM rejects") }
        #expect(reject?["reason"] == "not_an_integer")
        #expect(reject?["position"] == "line 3")
        #expect(reject?["source"] == source)

        #expect(report.rejectsByReason == ["not_an_integer": 1])
        let json = try Data(contentsOf: URL(fileURLWithPath: work.file("reports/squares.json")))
        let decoded = try JSONDecoder().decode(StageReport.self, from: json)
        #expect(decoded.records == 4)
        #expect(decoded.rejects == 1)
        #expect(decoded.threads == 1)
        #expect(report.summaryLine.contains("not_an_integer 1"))
    }

    @Test func skipsWhenFreshAndRerunsWhenASettingChanges() throws {
        let work = TemporaryDirectory()
        let first = try runPipeline(work, "rows: 10")
        #expect(first.ran)
        #expect(first.freshness == .missing)

        let second = try runPipeline(work, "rows: 10")
        #expect(!second.ran)
        #expect(second.freshness == .fresh)

        let third = try runPipeline(work, "rows: 12")
        #expect(third.ran)
        #expect(third.freshness == .stale("setting 'rows' changed (10 → 12)"))
        #expect(try SquaresStage.values(in: work.file("squares.sqlite")).count == 12)

        let forced = try runPipeline(work, "rows: 12", force: true)
        #expect(forced.ran)
    }

    @Test func rerunsWhenAnInputFileChanges() throws {
        let work = TemporaryDirectory()
        let source = work.file("numbers.txt")
        try "1\n2\n".write(toFile: source, atomically: true, encoding: .utf8)
        #expect(try runPipeline(work, "source: \(source)").ran)
        #expect(try !runPipeline(work, "source: \(source)").ran)
        try "1\n2\n3\n".write(toFile: source, atomically: true, encoding: .utf8)
        let step = try runPipeline(work, "source: \(source)")
        #expect(step.ran)
        #expect(step.freshness == .stale("input source:\(source) changed"))
        #expect(try SquaresStage.values(in: work.file("squares.sqlite")) == [1, 4, 9])
    }

    @Test func seedIsPartOfTheSettings() throws {
        let work = TemporaryDirectory()
        let settings = SquaresStage.Settings.defaults
        try StageRunner(context: context(work, seed: 1)).run(SquaresStage(), settings: settings)
        let freshness = try StageRunner(context: context(work, seed: 2)).freshness(SquaresStage(), settings: settings)
        #expect(freshness == .stale("setting 'seed' changed (1 → 2)"))
    }

    @Test func tooManyRejectsFailWith65AndKeepThePreviousOutput() throws {
        let work = TemporaryDirectory()
        let source = work.file("numbers.txt")
        try "1\n2\n3\n".write(toFile: source, atomically: true, encoding: .utf8)
        let runner = StageRunner(context: context(work))
        let settings = SquaresStage.Settings(rows: 0, source: source, delayMilliseconds: 0, offset: 0, maxRejectRatio: 0.25)
        try runner.run(SquaresStage(), settings: settings)

        try "1\nx\ny\n4\n".write(toFile: source, atomically: true, encoding: .utf8)
        #expect {
            try runner.run(SquaresStage(), settings: settings)
        } throws: { error in
            guard let error = error as? LoomError, error.exitStatus == .dataRejected else { return false }
            return "\(error)".contains("2 of 4 records rejected") && "\(error)".contains("not_an_integer 2")
        }
        #expect(try SquaresStage.values(in: work.file("squares.sqlite")) == [1, 4, 9])
        let failed = try StageMeta.read(path: work.file("squares.sqlite.failed"))
        #expect(failed.rejects == 2)
        let report = try JSONDecoder().decode(StageReport.self, from: Data(contentsOf: URL(fileURLWithPath: work.file("reports/squares.json"))))
        #expect(report.status == "rejected")
    }

    @Test func sameInputsGiveSameContentHashAtAnyThreadCount() throws {
        let a = TemporaryDirectory()
        let b = TemporaryDirectory()
        try StageRunner(context: StageContext(workDirectory: a.path, threads: 1, showProgress: false))
            .run(SquaresStage(), settings: .defaults)
        try StageRunner(context: StageContext(workDirectory: b.path, threads: 2, showProgress: false))
            .run(SquaresStage(), settings: .defaults)
        let hashA = try StageMeta.read(path: a.file("squares.sqlite")).contentHash
        let hashB = try StageMeta.read(path: b.file("squares.sqlite")).contentHash
        #expect(hashA == hashB)
    }

    @Test func statusExplainsEachStage() throws {
        let work = TemporaryDirectory()
        let stages = [StageDescriptor(SquaresStage())]
        let before = try WorkStatus(stages: stages, context: context(work), pipeline: nil)
        #expect(before.entries.first?.freshness == .missing)

        _ = try runPipeline(work, "rows: 5")
        let after = try WorkStatus(stages: stages, context: context(work), pipeline: nil)
        #expect(after.entries.first?.freshness == .fresh)
        #expect(after.entries.first?.meta?.records == 5)

        let changed = try WorkStatus(stages: stages, context: context(work), pipeline: try pipeline(work, "rows: 6"))
        #expect(changed.entries.first?.freshness == .stale("setting 'rows' changed (5 → 6)"))
        #expect(changed.text.contains("squares"))
    }

    @Test func shardOutputsHaveTheirOwnNames() throws {
        #expect(StageRunner.outputFileName("catalog.sqlite", shard: .whole) == "catalog.sqlite")
        #expect(StageRunner.outputFileName("catalog.sqlite", shard: try Shard(index: 2, count: 8)) == "catalog.shard-2-of-8.sqlite")
    }
}
