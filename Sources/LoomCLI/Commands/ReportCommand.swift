import ArgumentParser
import LoomCore
import LoomReport

/// `loom report`: the work directory's last run as one self-contained HTML page.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML page of the last run: stages, rejects with their photos, training, a gallery of answers for held-out items.")

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The index whose answers the gallery shows.")
    var index: String = "out/index.sqlite"

    @Option(help: "The HTML file to write.")
    var out: String = "out/report.html"

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try requiringVectorUnits {
            let context = try global.context(work: workOptions.work, out: "out")
            let report = try RunReport.gather(workDirectory: workOptions.work, indexPath: index, seed: context.seed, threads: context.threads)
            try RunReportPage.write(report, to: out)
            print("report: \(out) (\(report.stages.count) stages, \(report.gallery.count) gallery items)")
        }
    }
}
