import Foundation
import LoomTestSupport
import Testing
@testable import LoomCore

@Suite struct PipelineFileTests {
    func parse(_ text: String, environment: [String: String] = [:]) throws -> PipelineFile {
        try PipelineFile(path: "Pipelines/test.yaml", text: text, environment: environment)
    }

    /// The usage error a call throws, or nil.
    func usageError(_ body: () throws -> Void) -> (message: String, file: String?, key: String?)? {
        do {
            try body()
            return nil
        } catch LoomError.usage(let message, let file, let key) {
            return (message, file, key)
        } catch {
            return nil
        }
    }

    @Test func readsTopLevelAndStageSettingsWithDefaults() throws {
        let pipeline = try parse("""
            work: /tmp/w
            out: /tmp/o
            seed: 9
            threads: 2
            stages:
              squares:
                rows: 12
            """)
        #expect(pipeline.work == "/tmp/w")
        #expect(pipeline.out == "/tmp/o")
        #expect(pipeline.seed == 9)
        #expect(pipeline.threads == 2)
        #expect(pipeline.stageNames == ["squares"])
        let settings = try pipeline.settings(SquaresStage.Settings.self, forStage: "squares")
        #expect(settings.rows == 12)
        #expect(settings.delayMilliseconds == SquaresStage.Settings.defaults.delayMilliseconds)
        #expect(settings.maxRejectRatio == 0.05)
    }

    @Test func unknownTopLevelKeyNamesKeyFileAndLine() {
        let error = usageError { _ = try parse("work: w\nthreds: 2\n") }
        #expect(error?.key == "threds")
        #expect(error?.file == "Pipelines/test.yaml")
        #expect(error?.message.contains("line 2") == true)
    }

    @Test func unknownStageSettingIsNamedWithItsLine() throws {
        let pipeline = try parse("""
            stages:
              squares:
                rows: 3
                colour: red
            """)
        let error = usageError { _ = try pipeline.settings(SquaresStage.Settings.self, forStage: "squares") }
        #expect(error?.key == "stages.squares.colour")
        #expect(error?.message.contains("line 4") == true)
    }

    @Test func wrongTypeIsNamedWithWhatWasExpected() throws {
        let pipeline = try parse("""
            stages:
              squares:
                rows: many
            """)
        let error = usageError { _ = try pipeline.settings(SquaresStage.Settings.self, forStage: "squares") }
        #expect(error?.key == "stages.squares.rows")
        #expect(error?.message.contains("an integer") == true)
        #expect(error?.message.contains("line 3") == true)
    }

    @Test func unknownStageIsRefusedByTheRunner() throws {
        let pipeline = try parse("stages:\n  squares: {}\n  sqaures: {}\n")
        let context = StageContext(workDirectory: NSTemporaryDirectory(), showProgress: false)
        let error = usageError {
            _ = try PipelineRunner(pipeline: pipeline, stages: [StageDescriptor(SquaresStage())], context: context)
        }
        #expect(error?.key == "stages.sqaures")
        #expect(error?.message.contains("known: squares") == true)
    }

    @Test func expandsEnvironmentVariablesAndKeepsTypes() throws {
        let pipeline = try parse("""
            work: ${LOOM_WORK}/nightly
            out: ${LOOM_OUT:-out}
            threads: ${THREADS}
            stages:
              squares:
                rows: ${ROWS:-5}
            """, environment: ["LOOM_WORK": "/data", "THREADS": "3"])
        #expect(pipeline.work == "/data/nightly")
        // A relative path is the file's directory's, made absolute.
        #expect(pipeline.out == FileManager.default.currentDirectoryPath + "/Pipelines/out")
        #expect(pipeline.threads == 3)
        #expect(try pipeline.settings(SquaresStage.Settings.self, forStage: "squares").rows == 5)
    }

    @Test func unsetVariableWithoutDefaultIsAUsageError() {
        let error = usageError { _ = try parse("work: ${NOPE_NOT_SET}\n") }
        #expect(error?.message.contains("NOPE_NOT_SET") == true)
        #expect(error?.key == "work")
    }

    @Test(arguments: ["work: [unclosed", "- just\n- a list\n", "stages: 3\n", "seed: -1\n", "work: a\nwork: b\n"])
    func malformedFilesAreUsageErrors(_ text: String) {
        #expect(usageError { _ = try parse(text) } != nil)
    }

    @Test func quotedNumbersStayStrings() throws {
        let pipeline = try parse("stages:\n  squares:\n    source: \"2018\"\n")
        #expect(try pipeline.settings(SquaresStage.Settings.self, forStage: "squares").source == "2018")
    }

    @Test func missingFileIsInputMissing() {
        #expect {
            _ = try PipelineFile(path: "/nonexistent/pipeline.yaml")
        } throws: { error in
            (error as? LoomError)?.exitStatus == .inputMissing
        }
    }

    /// Settings with paths, as ingest's catalog and a stage's model are.
    struct PathSettings: StageSettings {
        static let pathKeys: Set<String> = ["inputs", "model"]
        static let bundledPathKeys: Set<String> = ["model"]
        static let defaults = PathSettings(inputs: [], model: "none", label: "x")
        var inputs: [String]
        var model: String
        var label: String
    }

    /// Relative paths of a pipeline file are the file's directory's, from wherever it is read;
    /// one with nothing behind it that Loom's home has is the bundled one; absolute ones and
    /// other settings stay as written.
    @Test func relativePathsResolveAgainstTheFilesDirectory() throws {
        let directory = TemporaryDirectory("loom-pipeline")
        try FileManager.default.createDirectory(atPath: directory.file("conf"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: directory.file("data"), withIntermediateDirectories: true)
        try """
            work: ../state/./work
            out: Models
            stages:
              paths:
                inputs: [../data/a.jsonl, /abs/b.jsonl]
                model: Models/loomnet-v1
                label: ../not/a/path
            """.write(toFile: directory.file("conf/p.yaml"), atomically: true, encoding: .utf8)
        let pipeline = try PipelineFile(path: directory.file("conf/p.yaml"), environment: [:])
        let root = (directory.path as NSString).standardizingPath
        #expect(pipeline.directory == root + "/conf")
        #expect(pipeline.work == root + "/state/work")
        // Only models and vocabularies come from Loom's home: an output directory named like a
        // bundled folder is still the file's directory's.
        #expect(pipeline.out == root + "/conf/Models")
        let settings = try pipeline.settings(PathSettings.self, forStage: "paths")
        #expect(settings.inputs == [root + "/data/a.jsonl", "/abs/b.jsonl"])
        #expect(settings.label == "../not/a/path")
        // Not in conf/: the model bundled in Loom's home (the source tree here).
        let bundled = URL(fileURLWithPath: (LoomHome.current.path as NSString).appendingPathComponent("Models/loomnet-v1")).standardized.path
        #expect(settings.model == bundled)
        #expect(FileManager.default.fileExists(atPath: settings.model + "/config.json"))
        // Read through a symbolic link to its folder, `..` is taken as written (as a shell would).
        try FileManager.default.createDirectory(atPath: directory.file("deep"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.file("deep/alias"), withDestinationPath: directory.file("conf"))
        let linked = try PipelineFile(path: directory.file("deep/alias/p.yaml"), environment: [:])
        #expect(linked.work == root + "/deep/state/work")
        // A model that is there wins over the bundled one.
        try FileManager.default.createDirectory(atPath: directory.file("conf/Models/loomnet-v1"), withIntermediateDirectories: true)
        #expect(try pipeline.settings(PathSettings.self, forStage: "paths").model == root + "/conf/Models/loomnet-v1")
    }
}
