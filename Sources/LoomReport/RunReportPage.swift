import Foundation
import LoomCore

/// A `RunReport` as one self-contained HTML page: plain HTML and CSS, an inline SVG chart and
/// thumbnails as data URIs; no network. After loading, the page counts images that did not
/// decode into `body[data-broken-images]` (and all images into `data-images`).
public enum RunReportPage {
    public static func html(_ report: RunReport) -> String {
        var page = head(title: "Loom run report — \(report.workDirectory)")
        page += """
            <h1>Loom run report</h1>
            <p class="muted">work directory <code>\(HTMLText.escape(report.workDirectory))</code> · index <code>\(HTMLText.escape(report.indexPath))</code> · written <span class="timestamp">\(HTMLText.escape(report.generated))</span> · Loom \(HTMLText.escape(LoomVersion.current))</p>

            """
        page += stages(report)
        page += training(report)
        page += gallery(report)
        page += health(report)
        page += indexMeta(report)
        return page + tail
    }

    /// A page of `loom query --html`: the queries, each with its answers, as the report's gallery.
    public static func galleryPage(title: String, subtitle: String, items: [GalleryItem]) -> String {
        var page = head(title: title)
        page += "<h1>\(HTMLText.escape(title))</h1>\n<p class=\"muted\">\(HTMLText.escape(subtitle))</p>\n"
        page += galleryItems(items)
        return page + tail
    }

    /// The document's start: its title and the style every Loom page uses.
    static func head(title: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <title>\(HTMLText.escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
        h1 { margin: 0 0 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; }
        table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        .muted { color: #777; } .fresh { color: #777; } .ran { color: #1e8449; font-weight: 600; } .failed { color: #c0392b; font-weight: 600; }
        .thumb { width: 96px; height: 96px; object-fit: cover; border: 1px solid #ddd; background: #f4f4f4; }
        .item { display: flex; gap: 16px; margin: 18px 0; padding-top: 12px; border-top: 1px solid #eee; }
        .answers { display: flex; gap: 8px; flex-wrap: wrap; margin: 4px 0 10px; }
        .answer { width: 104px; font-size: 12px; } .answer .title { height: 3.2em; overflow: hidden; }
        .known { color: #1e8449; font-weight: 700; } .chart text { font-size: 11px; fill: #555; } .chart .loss { fill: #c0392b; } .chart .auc { fill: #2471a3; }
        </style></head>
        <body data-broken-images="unknown">

        """
    }

    /// The document's end: a script that counts, once the page loaded, the images the browser
    /// could not decode (`body[data-broken-images]`) and all images (`data-images`).
    static let tail = """
            <script>
            window.addEventListener('load', function () {
              var broken = 0;
              for (var i = 0; i < document.images.length; i++) {
                var image = document.images[i];
                if (!image.complete || image.naturalWidth === 0) broken++;
              }
              document.body.setAttribute('data-broken-images', String(broken));
              document.body.setAttribute('data-images', String(document.images.length));
            });
            </script>
            </body></html>

            """

    static func missing(_ report: RunReport, _ section: String) -> String {
        report.missing[section].map { "<p class=\"muted\">\(HTMLText.escape($0))</p>\n" } ?? ""
    }

    static func stages(_ report: RunReport) -> String {
        var html = "<h2 id=\"stages\">Stages</h2>\n" + missing(report, "stages")
        guard !report.stages.isEmpty else { return html }
        html += "<table><tr><th>stage</th><th>this run</th><th>finished</th><th class=\"n\">seconds</th><th class=\"n\">throughput</th><th class=\"n\">records</th><th class=\"n\">rejects</th><th>counts</th></tr>\n"
        for section in report.stages {
            let r = section.report
            let state: String
            switch (r.status, section.ranNow) {
            case ("ok", true?): state = "<span class=\"ran\">ran</span>"
            case ("ok", false?): state = "<span class=\"fresh\">fresh, kept</span>"
            case ("ok", nil): state = "<span class=\"muted\">last run</span>"
            default: state = "<span class=\"failed\">\(HTMLText.escape(r.status))</span>"
            }
            let counts = r.counts.sorted { $0.key < $1.key }.map { "\(HTMLText.escape($0.key)) \(HTMLText.grouped($0.value))" }.joined(separator: ", ")
            let link = section.rejects.isEmpty ? HTMLText.escape(r.stage) : "<a href=\"#stage-\(HTMLText.escape(r.stage))\">\(HTMLText.escape(r.stage))</a>"
            html += "<tr data-stage=\"\(HTMLText.escape(r.stage))\"><td>\(link)</td><td>\(state)</td>"
            html += "<td>\(HTMLText.escape(r.finished))</td><td class=\"n\">\(String(format: "%.2f", r.seconds))</td>"
            // A stage's real work leads where it is not one unit per record (train's triplets).
            let rate = r.work.map { "\(HTMLText.number($0.perSecond.rounded(), decimals: 0)) \(HTMLText.escape($0.unit))/s" }
                ?? "\(HTMLText.number(r.throughput, decimals: 1)) \(HTMLText.escape(r.unit))/s"
            html += "<td class=\"n\">\(rate)</td><td class=\"n\">\(HTMLText.grouped(r.records))</td>"
            html += "<td class=\"n\">\(HTMLText.grouped(r.rejects))</td><td class=\"muted\">\(counts)</td></tr>\n"
        }
        html += "</table>\n"
        for section in report.stages where !section.rejects.isEmpty {
            let stage = HTMLText.escape(section.report.stage)
            html += "<h3 id=\"stage-\(stage)\">\(stage): \(HTMLText.grouped(section.report.rejects)) rejects</h3>\n"
            for group in section.rejects {
                html += "<details open data-reason=\"\(HTMLText.escape(group.reason))\" data-count=\"\(group.count)\"><summary><b>\(HTMLText.escape(group.reason))</b>: \(HTMLText.grouped(group.count))"
                html += group.count > group.first.count ? " (the first \(group.first.count))" : ""
                html += "</summary>\n<table><tr><th></th><th>source</th><th>position</th><th>detail</th></tr>\n"
                for row in group.first {
                    let thumb = row.thumbnail.map { "<img class=\"thumb\" alt=\"rejected image\" src=\"\($0)\">" } ?? ""
                    html += "<tr class=\"reject\"><td>\(thumb)</td><td><code>\(HTMLText.escape(row.source))</code></td><td>\(HTMLText.escape(row.position))</td><td>\(HTMLText.escape(row.detail))</td></tr>\n"
                }
                html += "</table></details>\n"
            }
        }
        return html
    }

    static func training(_ report: RunReport) -> String {
        var html = "<h2 id=\"training\">Training</h2>\n" + missing(report, "training")
        guard !report.epochs.isEmpty else { return html }
        html += TrainingChart.svg(report.epochs) + "\n"
        html += "<table><tr><th class=\"n\">epoch</th><th class=\"n\">loss</th><th class=\"n\">validation AUC</th></tr>\n"
        for epoch in report.epochs {
            html += "<tr><td class=\"n\">\(epoch.epoch)</td><td class=\"n\">\(String(format: "%.4f", epoch.loss))</td><td class=\"n\">\(String(format: "%.4f", epoch.validAUC))</td></tr>\n"
        }
        html += "</table>\n" + missing(report, "evaluation")
        guard let first = report.evaluation.first?.metrics else { return html }
        html += "<h3 id=\"evaluation\">Test split: the model and the baselines</h3>\n"
        html += "<table><tr><th></th><th class=\"n\">AUC</th><th class=\"n\">MRR</th><th class=\"n\">R@1</th><th class=\"n\">R@5</th><th class=\"n\">R@10</th><th class=\"n\">FITB</th></tr>\n"
        for row in report.evaluation {
            let m = row.metrics
            let cells = [m.auc, m.mrr, m.recallAt1, m.recallAt5, m.recallAt10, m.fitb].map { "<td class=\"n\">\(String(format: "%.3f", $0))</td>" }.joined()
            html += "<tr class=\"evaluation\" data-name=\"\(HTMLText.escape(row.name))\" data-auc=\"\(m.auc)\"><td>\(HTMLText.escape(row.name))</td>\(cells)</tr>\n"
        }
        html += "</table>\n<p class=\"muted\">\(first.triplets) test triplets, \(first.pairs) pairs ranked among all items of the partner's type, \(first.questions) fill-in-the-blank questions (<code>loom eval</code>).</p>\n"
        return html
    }

    static func gallery(_ report: RunReport) -> String {
        var html = "<h2 id=\"gallery\">Gallery: held-out items and what goes with them</h2>\n" + missing(report, "gallery")
        guard !report.gallery.isEmpty else { return html }
        html += "<p class=\"muted\">Items of the test split (never trained on); per partner type, the index's top \(Gallery.answersPerType) by cosine. <span class=\"known\">✓</span> marks a known co-purchase.</p>\n"
        return html + galleryItems(report.gallery)
    }

    /// Each item with its photo and title, and its answers per partner type.
    static func galleryItems(_ items: [GalleryItem]) -> String {
        var html = ""
        for item in items {
            html += "<div class=\"item\" data-asin=\"\(HTMLText.escape(item.asin))\"><div class=\"answer\">"
            html += item.thumbnail.map { "<img class=\"thumb\" alt=\"\(HTMLText.escape(item.asin))\" src=\"\($0)\">" } ?? ""
            html += "<div><b>\(HTMLText.escape(item.asin))</b> · \(HTMLText.escape(item.type))</div><div class=\"title\">\(HTMLText.escape(item.title))</div></div><div>\n"
            for (type, answers) in item.answers {
                html += "<div><b>\(HTMLText.escape(type))</b></div><div class=\"answers\" data-type=\"\(HTMLText.escape(type))\">\n"
                for answer in answers {
                    html += "<div class=\"answer\" data-asin=\"\(HTMLText.escape(answer.asin))\" data-score=\"\(answer.score)\"\(answer.known ? " data-known=\"1\"" : "")>"
                    html += answer.thumbnail.map { "<img class=\"thumb\" alt=\"\(HTMLText.escape(answer.asin))\" src=\"\($0)\">" } ?? "<div class=\"thumb\"></div>"
                    html += "<div>\(String(format: "%.3f", answer.score))\(answer.known ? " <span class=\"known\" title=\"known co-purchase\">✓</span>" : "")</div>"
                    html += "<div class=\"title\">\(HTMLText.escape(answer.title))</div></div>\n"
                }
                html += "</div>\n"
            }
            html += "</div></div>\n"
        }
        return html
    }

    static func health(_ report: RunReport) -> String {
        guard let health = report.health else { return "" }
        var html = "<h2 id=\"health\">Embedding health</h2>\n<table>"
        html += "<tr data-effective-dimensions=\"\(health.effectiveDimensions)\"><td>principal components for 90% of the variance</td><td class=\"n\">\(health.effectiveDimensions) of \(health.dimensions)</td></tr>"
        html += "<tr><td>random pairs (\(HTMLText.grouped(health.randomPairs))): median cosine</td><td class=\"n\">\(String(format: "%.3f", health.randomMedian))</td></tr>"
        html += "<tr><td>random pairs: 99th percentile</td><td class=\"n\">\(String(format: "%.3f", health.randomP99))</td></tr>"
        if let median = health.trueMedian {
            html += "<tr><td>co-purchase pairs (\(HTMLText.grouped(health.truePairs))): median cosine</td><td class=\"n\">\(String(format: "%.3f", median))</td></tr>"
        }
        return html + "</table>\n<p class=\"muted\">A healthy space spreads its variance over many components and keeps random pairs well below co-purchase pairs.</p>\n"
    }

    static func indexMeta(_ report: RunReport) -> String {
        guard !report.indexMeta.isEmpty else { return "" }
        var html = "<h2 id=\"index\">Index</h2>\n<table>"
        for (key, value) in report.indexMeta {
            let shown = value.count > 200 ? String(value.prefix(200)) + "…" : value
            html += "<tr><td>\(HTMLText.escape(key))</td><td><code>\(HTMLText.escape(shown))</code></td></tr>"
        }
        return html + "</table>\n"
    }
}

extension RunReportPage {
    /// Writes the page to `path` atomically (a temporary file beside it, synced and renamed), so a
    /// browser that has the last one open never sees half a page.
    public static func write(_ report: RunReport, to path: String) throws {
        try write(html: html(report), to: path)
    }

    /// Writes a page of HTML to `path` atomically.
    public static func write(html page: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LoomError.cannotCreateOutput(path: directory, reason: "\(error.localizedDescription)")
            }
        }
        // A run killed (SIGKILL) while it wrote the page left its temporary file: gone once that
        // process is.
        StaleTemporaries.remove(besides: path)
        let temporary = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)"
        // SIGTERM or SIGINT while the page is written takes the temporary file away too.
        let cleanup = Interruption.onInterrupt { _ = unlink(temporary) }
        defer { Interruption.remove(cleanup) }
        guard FileManager.default.createFile(atPath: temporary, contents: Data(page.utf8)) else {
            throw LoomError.cannotCreateOutput(path: path, reason: "cannot write the report")
        }
        do {
            try SystemCall.sync(path: temporary)
            try SystemCall.moveIntoPlace(temporary, to: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }
}
