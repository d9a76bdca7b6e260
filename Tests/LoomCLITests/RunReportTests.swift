import Foundation
import GRDB
import LoomCore
import LoomImaging
import LoomTestSupport
import Testing

/// `loom report` on the sample run (called from `samplePipelineRunsThenSkipsEverything`, which
/// made the run): every stage and every reject reason, the chart's points are train.sqlite's
/// epochs, 8 held-out items with 5 answers per partner type; then headless Chromium renders it:
/// the screenshot is not blank and every thumbnail decoded.
extension CommandLineTests {
    func reportShowsTheRun(work: TemporaryDirectory) throws {
        let page = work.file("out/report.html")
        let made = try loom(["report", "--work", work.path, "--index", work.file("out/index.sqlite"), "--out", page])
        #expect(made.status == 0 && made.stdout.contains("8 stages, 8 gallery items"), "\(made.stdout)\(made.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)

        for stage in ["ingest", "images", "text", "triplets", "features", "train", "embed", "index"] {
            #expect(html.contains("<tr data-stage=\"\(stage)\">"), "stage \(stage)")
            let data = try Data(contentsOf: URL(fileURLWithPath: work.file("reports/\(stage).json")))
            let report = try JSONDecoder().decode(StageReport.self, from: data)
            for (reason, count) in report.rejectsByReason {
                #expect(html.contains("data-reason=\"\(reason)\" data-count=\"\(count)\""), "\(stage): \(reason) × \(count)")
            }
        }
        #expect(html.contains("data-reason=\"truncated\"") && html.contains("data-reason=\"invalid_json\""))
        // The truncated JPEG decodes in part: its thumbnail is shown beside its reject row.
        let truncated = try #require(html.components(separatedBy: "data-reason=\"truncated\"").dropFirst().first?.components(separatedBy: "</details>").first)
        #expect(truncated.contains("<img class=\"thumb\" alt=\"rejected image\" src=\"data:image/jpeg;base64,"))

        // The chart's points: each epoch's loss and validation AUC as train.sqlite holds them.
        let epochs = try StageOutputReader.open(path: work.file("train.sqlite")).read { db in
            try Row.fetchAll(db, sql: "SELECT epoch, loss, valid_auc FROM epochs ORDER BY epoch")
                .map { (epoch: $0["epoch"] as Int, loss: $0["loss"] as Double, auc: $0["valid_auc"] as Double) }
        }
        #expect(epochs.count >= 2)
        let lossPoints = Self.attributes("data-loss", in: html), aucPoints = Self.attributes("data-valid-auc", in: html)
        #expect(lossPoints.map { Double($0) } == epochs.map(\.loss), "loss points \(lossPoints)")
        // Plotted where they belong: a larger loss is drawn higher (smaller y), epochs left to right.
        let lossCircles = html.components(separatedBy: "<circle class=\"point loss\" ").dropFirst().map { circle in
            (x: Double(Self.attributes("cx", in: " " + circle).first ?? "") ?? .nan, y: Double(Self.attributes("cy", in: " " + circle).first ?? "") ?? .nan)
        }
        #expect(lossCircles.count == epochs.count)
        for (a, b) in zip(zip(lossCircles, epochs), zip(lossCircles, epochs).dropFirst()) {
            #expect(a.0.x < b.0.x && (a.1.loss > b.1.loss) == (a.0.y < b.0.y), "epochs \(a.1.epoch), \(b.1.epoch)")
        }
        #expect(aucPoints.map { Double($0) } == epochs.map(\.auc), "AUC points \(aucPoints)")

        // The evaluation table: `loom eval`'s rows (the test ran it with --json before; its
        // --hidden-rules rows come after these six and are not the report's).
        let evaluated = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: work.file("eval.json"))))
            as? [String: Any])?["rows"] as? [[String: Any]])
        let shownAUC = Self.attributes("data-auc", in: html).compactMap(Double.init)
        #expect(shownAUC == evaluated.prefix(6).compactMap { ($0["metrics"] as? [String: Any])?["auc"] as? Double }, "\(shownAUC)")
        #expect(shownAUC.count == 6)

        // The gallery: 8 items, each with 5 answers for every partner type it shows.
        let items = html.components(separatedBy: "<div class=\"item\" data-asin=\"").dropFirst()
        #expect(items.count == 8)
        for item in items {
            let groups = item.components(separatedBy: "<div class=\"answers\" data-type=\"").dropFirst()
            #expect(groups.count >= 1, "an item without answers")
            for group in groups {
                #expect(group.components(separatedBy: "<div class=\"answer\" data-asin=").count - 1 == 5)
            }
        }
        #expect(html.contains("data-known=\"1\""), "some answers are known co-purchases")
        let effective = Self.attributes("data-effective-dimensions", in: html).first.flatMap { Int($0) } ?? 0
        #expect(effective >= 1 && effective <= 256, "effective dimensionality \(effective)")

        // Deterministic but for its timestamps: made again (the evaluation too), the same page.
        // And the page a killed report run left half-written (its process gone) is removed.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let stale = work.file("out/again.html.tmp-\(finished.processIdentifier)")
        #expect(FileManager.default.createFile(atPath: stale, contents: Data("<html>half".utf8)))
        try FileManager.default.removeItem(atPath: work.file("reports/eval-test.json"))
        let again = try loom(["report", "--work", work.path, "--index", work.file("out/index.sqlite"), "--out", work.file("out/again.html")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!FileManager.default.fileExists(atPath: stale), "a dead run's temporary page is cleaned up")
        let stamp = #"<span class="timestamp">[^<]*</span>"#
        #expect(try String(contentsOfFile: work.file("out/again.html"), encoding: .utf8).replacingOccurrences(of: stamp, with: "", options: .regularExpression)
                == html.replacingOccurrences(of: stamp, with: "", options: .regularExpression))

        try renderedByChromium(page: page, work: work)
    }

    /// `loom query --html`: the same gallery for any query — the item and its 5 shoes, with
    /// photos from the work directory; a batch gives one item per query.
    func queryWritesAGallery(work: TemporaryDirectory) throws {
        let page = work.file("out/query.html")
        let one = try loom(["query", "--index", work.file("out/index.sqlite"), "--asin", "B0EU1LAAXS", "--k", "5", "--type", "shoes",
                            "--html", page, "--work", work.path])
        #expect(one.status == 0 && one.stdout.contains("gallery: \(page)"), "\(one.stderr)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.components(separatedBy: "<div class=\"item\" data-asin=\"B0EU1LAAXS\"").count == 2)
        #expect(html.components(separatedBy: "<div class=\"answers\" data-type=\"shoes\"").count == 2)
        #expect(html.components(separatedBy: "<div class=\"answer\" data-asin=").count - 1 == 5)
        #expect(html.components(separatedBy: "<img class=\"thumb\"").count - 1 == 6, "the item's photo and its answers'")
        try "{\"asin\": \"B0EU1LAAXS\"}\n{\"title\": \"black leather ankle boots\"}\n".write(toFile: work.file("queries.jsonl"), atomically: true, encoding: .utf8)
        let batch = try loom(["query", "--index", work.file("out/index.sqlite"), "--batch", work.file("queries.jsonl"), "--k", "3",
                              "--html", page, "--work", work.path])
        #expect(batch.status == 0, "\(batch.stderr)")
        let both = try String(contentsOfFile: page, encoding: .utf8)
        #expect(both.components(separatedBy: "<div class=\"item\" data-asin=").count - 1 == 2)
        #expect(both.contains("black leather ankle boots"))
    }

    /// Headless Chromium: the page loads with no broken image, and a screenshot of it is a page,
    /// not a blank.
    func renderedByChromium(page: String, work: TemporaryDirectory) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("chromium is not installed (make test installs it)")
            return
        }
        func run(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: chromium)
            process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                 "--user-data-dir=\(work.file("chromium-profile"))"] + arguments + ["file://" + page]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // A browser that hangs must not hang the suite.
            let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            watchdog.cancel()
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "chromium \(arguments): \(process.terminationStatus)")
            return text
        }
        let dom = try run(["--dump-dom"])
        let broken = Self.attributes("data-broken-images", in: dom).first
        let images = Self.attributes("data-images", in: dom).first.flatMap { Int($0) } ?? 0
        #expect(broken == "0", "broken images: \(broken ?? "not counted (the page's script did not run)")")
        #expect(images > 8 * 5, "\(images) images")

        let screenshot = work.file("out/report.png")
        _ = try run(["--window-size=1280,2000", "--screenshot=\(screenshot)"])
        let png = try PNGDecoder.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: screenshot))), maxPixels: 10_000_000)
        #expect(png.width == 1280 && png.height == 2000)
        // Not blank: many distinct colours (text, the chart's lines, thumbnails).
        var colours = Set<UInt32>()
        for pixel in stride(from: 0, to: png.pixels.count, by: 4 * 97) {
            colours.insert(UInt32(png.pixels[pixel]) << 16 | UInt32(png.pixels[pixel + 1]) << 8 | UInt32(png.pixels[pixel + 2]))
        }
        #expect(colours.count > 50, "\(colours.count) colours in the screenshot")
    }

    /// The values of every `name="…"` attribute in `html`, in order.
    static func attributes(_ name: String, in html: String) -> [String] {
        html.components(separatedBy: " \(name)=\"").dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1).first.map(String.init) }
    }
}
