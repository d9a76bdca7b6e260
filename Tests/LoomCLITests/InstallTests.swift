import Foundation
import LoomCore
import LoomTestSupport
import Testing

/// `make install`'s layout in a temporary prefix, run from a directory that has nothing of Loom's:
/// the installed loom finds its bundled models under PREFIX/share/loom, says so in --version,
/// and runs the sample pipeline (one epoch) on a copy of SampleData, writing its report.
@Suite struct InstallTests {
    @Test func anInstalledLoomRunsFromAnUnrelatedDirectory() throws {
        let prefix = TemporaryDirectory("loom-prefix")
        let build = ProbeProcess.executable("loom").deletingLastPathComponent().path
        let install = try ProbeProcess("/bin/bash", arguments: [CommandLineTests.root + "/scripts/install.sh", prefix.path, build],
                                       directory: CommandLineTests.root).runCapturingOutput()
        try #require(install.status == 0, "\(install.stdout)\(install.stderr)")
        let loom = prefix.file("bin/loom")
        for tool in ["loom-ingest", "loom-fetch", "loom-images", "loom-text", "loom-triplets", "loom-features", "loom-train", "loom-embed", "loom-index"] {
            #expect(FileManager.default.isExecutableFile(atPath: prefix.file("bin/\(tool)")), "\(tool)")
        }
        #expect(FileManager.default.fileExists(atPath: prefix.file("share/loom/Models/loomnet-v1/config.json")))

        // Somewhere else, with a copy of SampleData and a pipeline that names the bundled model
        // as `Models/loomnet-v1` (not there: found in Loom's home) and the default vocabulary.
        let elsewhere = TemporaryDirectory("loom-elsewhere")
        try FileManager.default.copyItem(atPath: CommandLineTests.root + "/SampleData", toPath: elsewhere.file("SampleData"))
        // Beside its SampleData: the paths in a pipeline file are relative to the file's directory.
        let pipeline = try String(contentsOfFile: CommandLineTests.root + "/Pipelines/sample.yaml", encoding: .utf8)
            .replacingOccurrences(of: "../SampleData/", with: "SampleData/").replacingOccurrences(of: "../", with: "")
            .replacingOccurrences(of: "epochs: 12", with: "epochs: 1")
        try pipeline.write(toFile: elsewhere.file("sample.yaml"), atomically: true, encoding: .utf8)
        let clean = ["LOOM_HOME": "", "LOOM_WORK": "", "LOOM_OUT": "", "LOOM_MODELS": ""]

        let version = try ProbeProcess(loom, arguments: ["--version"], environment: clean, directory: elsewhere.path).runCapturingOutput()
        #expect(version.stdout.contains("(home: \(prefix.file("share/loom")), installed)"), "\(version.stdout)")

        let run = try ProbeProcess(loom, arguments: ["run", "sample.yaml", "--no-progress"], environment: clean,
                                   directory: elsewhere.path).runCapturingOutput()
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("pipeline sample.yaml: 8 ran, 0 skipped") && run.stdout.contains("report: \(elsewhere.file("out/report.html"))"), "\(run.stdout)")
        for file in ["work/catalog.sqlite", "work/text.sqlite", "models/loomnet-sample/model.safetensors", "out/index.sqlite", "out/report.html"] {
            #expect(FileManager.default.fileExists(atPath: elsewhere.file(file)), "\(file)")
        }
        // A stage command with its default vocabulary works from here too (it failed with
        // "Models/wordpiece/vocab.txt: no such file" before Loom had a home).
        let text = try ProbeProcess(prefix.file("bin/loom-text"), arguments: ["--work", "work", "--no-progress"], environment: clean,
                                    directory: elsewhere.path).runCapturingOutput()
        #expect(text.status == 0, "\(text.stderr)")
    }
}
