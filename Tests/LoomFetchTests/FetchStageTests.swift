import Crypto
import Foundation
import GRDB
import LoomCore
import LoomFormats
import LoomImages
import LoomPhotoServer
import LoomTestSupport
import Testing
@testable import LoomFetch

/// Stage fetch against a loopback server that serves real photos and every fault a crawler meets.
@Suite(.serialized) struct FetchStageTests {
    static let jpeg = FetchFixture.photo("testorig.jpg")
    static let png = FetchFixture.photo("basn2c08.png")
    static let hopper = FetchFixture.photo("hopper.jpg")

    static func faultServer() throws -> PhotoServer {
        let html = Array("<!doctype html><html><body>Sorry, this photo moved.</body></html>".utf8)
        return try PhotoServer(routes: [
            "/a.jpg": .ok(jpeg),
            "/b.png": .ok(png, headers: [("Content-Type", "application/octet-stream")]),
            "/shared.jpg": .ok(hopper),
            "/flaky.jpg": .failFirst(1, with: .status(500), then: .ok(hopper)),
            "/busy.jpg": .failFirst(1, with: .status(429, headers: [("Retry-After", "1")]), then: .ok(png)),
            "/moved.jpg": .redirect(to: "/b.png", status: 301),
            "/loop1": .redirect(to: "/loop2"),
            "/loop2": .redirect(to: "/loop1"),
            "/to-file": .redirect(to: "file:///etc/passwd"),
            "/cut.jpg": .truncated(jpeg),
            "/drip.jpg": .drip(jpeg, every: 0.2),
            "/huge.jpg": .endless(bytes: 50 << 20),
            "/page.jpg": .ok(html, headers: [("Content-Type", "image/jpeg")]),
            "/noai.jpg": .ok(jpeg, headers: [("X-Robots-Tag", "noai")]),
            "/googlebot.jpg": .ok(png, headers: [("X-Robots-Tag", "googlebot: noindex")]),
            "/anim.gif": .ok(Array("GIF89a".utf8) + [UInt8](repeating: 0, count: 64)),
            "/gone.jpg": .status(403),
            "/down.jpg": .status(503),
        ])
    }

    /// The item of each path, and what its row must say.
    static let expected: [(path: String, status: String, error: String?)] = [
        ("/a.jpg", "ok", nil), ("/b.png", "ok", nil), ("/shared.jpg", "ok", nil), ("/shared.jpg", "ok", nil),
        ("/flaky.jpg", "ok", nil), ("/busy.jpg", "ok", nil), ("/moved.jpg", "ok", nil), ("/googlebot.jpg", "ok", nil),
        ("/missing.jpg", "failed", "http_404"), ("/gone.jpg", "failed", "http_4xx"), ("/down.jpg", "failed", "http_5xx"),
        ("/loop1", "failed", "redirect_loop"), ("/to-file", "failed", "unsupported_url"), ("/cut.jpg", "failed", "truncated"),
        ("/drip.jpg", "failed", "timeout"), ("/huge.jpg", "failed", "too_large"), ("/page.jpg", "failed", "not_an_image"),
        ("/noai.jpg", "failed", "opted_out"), ("/anim.gif", "failed", "unsupported_format"),
    ]

    @Test func everyFaultEndsWithItsStatusOrReasonAndEveryPhotoIsStoredOnceByItsHash() throws {
        let server = try FetchStageTests.faultServer()
        defer { server.stop() }
        let fixture = FetchFixture()
        let urls = FetchStageTests.expected.map { server.url($0.path) } + ["ftp://127.0.0.1/a.jpg", "file:///etc/passwd", "http://127.0.0.1:1/refused.jpg"]
        try fixture.ingest(urls)
        let started = Date()
        let report = try fixture.fetch()
        #expect(Date().timeIntervalSince(started) < 20)
        let rows = try fixture.rows()
        #expect(rows.count == urls.count)
        for (row, expected) in zip(rows, FetchStageTests.expected) {
            #expect(row["status"] as String == expected.status, "\(expected.path)")
            #expect(row["error"] as String? == expected.error, "\(expected.path)")
        }
        #expect(rows[FetchStageTests.expected.count...].map { $0["error"] as String } == ["unsupported_url", "unsupported_url", "connection"])
        #expect(rows.last!["attempts"] as Int == 3)   // refused: tried, then retried twice

        // Requests: each photo once (the shared one too), a retry after 500 and after 429, none
        // after 4xx, every retry of a 503 spent, nothing for URLs refused before connecting.
        let asked = server.allRequests
        #expect(asked["/shared.jpg"] == 1 && asked["/a.jpg"] == 1)
        #expect(asked["/flaky.jpg"] == 2 && asked["/busy.jpg"] == 2)
        #expect(asked["/gone.jpg"] == 1 && asked["/missing.jpg"] == 1)
        #expect(asked["/down.jpg"] == 3)
        #expect(asked["/loop1"] == 1 && asked["/loop2"] == 1)
        #expect(rows[1]["http_status"] as Int == 200 && rows[8]["http_status"] as Int == 404 && rows[10]["http_status"] as Int == 503)

        // The store: one file per distinct photo, named by the SHA-256 of its bytes, with them.
        let okRows = rows.filter { $0["status"] as String == "ok" }
        let paths = Set(okRows.map { $0["path"] as String })
        #expect(paths.count == 3)   // testorig.jpg, basn2c08.png, hopper.jpg
        for row in okRows {
            let path: String = row["path"]
            let bytes = try #require(FileManager.default.contents(atPath: path))
            let hash = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            #expect(row["sha256"] as String == hash)
            #expect(path.hasSuffix("/\(hash.prefix(2))/\(hash).\(bytes.first == 0xFF ? "jpg" : "png")"))
            #expect(row["bytes"] as Int == bytes.count)
        }
        #expect(report.counts["fetched"] == 8 && report.counts["failed"] == 14 && report.counts["photos_stored"] == 3)
        #expect(report.rejectsByReason["unsupported_url"] == 3 && report.rejectsByReason["timeout"] == 1)
        #expect(report.rejectsByReason.values.reduce(0, +) == 14)
    }

    @Test func theImagesStageReadsTheFetchedPhotos() throws {
        let server = try PhotoServer(routes: ["/a.jpg": .ok(FetchStageTests.jpeg), "/b.png": .ok(FetchStageTests.png)])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest([server.url("/a.jpg"), server.url("/b.png"), server.url("/missing.jpg")])
        _ = try fixture.fetch()
        let report = try StageRunner(context: fixture.context()).run(ImagesStage(), settings: ImagesSettings.defaults)
        #expect(report.counts["images"] == 2)
        #expect(report.counts["items_without_image"] == 1)
        #expect(report.counts["stored_images"] == 2)
    }

    @Test func aRerunAsksOnlyForWhatHasNoResultAndRetryFailedOnlyForWhatCanHeal() throws {
        let server = try PhotoServer(routes: [
            "/a.jpg": .ok(FetchStageTests.jpeg),
            "/down.jpg": .failFirst(1, with: .status(503), then: .ok(FetchStageTests.hopper)),
            "/gone.jpg": .failFirst(1, with: .status(403), then: .ok(FetchStageTests.png)),
            "/noai.jpg": .failFirst(1, with: .ok(FetchStageTests.png, headers: [("X-Robots-Tag", "noimageai")]), then: .ok(FetchStageTests.png)),
        ])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest(["/a.jpg", "/down.jpg", "/gone.jpg", "/noai.jpg"].map(server.url))
        var settings = FetchFixture.settings
        settings.retries = 0
        let first = try fixture.fetch(settings)
        #expect(first.counts["fetched"] == 1 && first.counts["requested"] == 4)

        let second = try fixture.fetch(settings)
        #expect(second.counts["requested"] == 0 && second.counts["from_earlier_runs"] == 4)
        #expect(try fixture.rows().map { $0["error"] as String? } == [nil, "http_5xx", "http_4xx", "opted_out"])

        settings.retryFailed = true
        let third = try fixture.fetch(settings)
        #expect(third.counts["requested"] == 1)
        #expect(try fixture.rows().map { $0["error"] as String? } == [nil, nil, "http_4xx", "opted_out"])
        #expect(server.allRequests == ["/a.jpg": 1, "/down.jpg": 2, "/gone.jpg": 1, "/noai.jpg": 1])

        // A photo deleted from the store is fetched again; an item whose URL changed gets the new one.
        let aPath: String = try fixture.rows()[0]["path"]
        try FileManager.default.removeItem(atPath: aPath)
        try fixture.ingest(["/a.jpg", "/down.jpg", "/gone.jpg", "/gone.jpg?v=2"].map(server.url))
        let fourth = try fixture.fetch(settings)
        #expect(fourth.counts["requested"] == 2)
        #expect(FileManager.default.fileExists(atPath: aPath))
        #expect(server.allRequests == ["/a.jpg": 2, "/down.jpg": 2, "/gone.jpg": 2, "/noai.jpg": 1])
        #expect(try fixture.rows().map { $0["error"] as String? } == [nil, nil, "http_4xx", nil])
    }

    @Test func aFetchKilledHalfWayLosesNothingItCommittedAndTheRestartAsksForNoneOfIt() throws {
        let photo = FetchStageTests.jpeg
        let server = try PhotoServer(routes: [:], fallback: { path in path.hasPrefix("/p/") ? .delayed(0.01, then: .ok(photo)) : nil })
        defer { server.stop() }
        let fixture = FetchFixture()
        let count = 400
        try fixture.ingest((0..<count).map { server.url("/p/\($0).jpg") })
        let arguments = ["fetch", "--work", fixture.work.path, "--concurrency", "4", "--threads", "1"]
        let child = ProbeProcess("loom", arguments: arguments)
        try child.start()
        var committed = Set<String>()
        let deadline = Date().addingTimeInterval(60)
        while committed.count < 40 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            committed = (try? fixture.journaled()) ?? []
        }
        child.kill()
        child.process.waitUntilExit()
        committed = try fixture.journaled()
        #expect(committed.count >= 40 && committed.count < count, "kill came too late to test anything")
        #expect(!FileManager.default.fileExists(atPath: fixture.work.file("fetch.sqlite")))

        let restart = ProbeProcess("loom", arguments: arguments)
        let (status, _) = try restart.runToEnd()
        #expect(status == 0)
        let asked = server.allRequests
        for url in committed {
            let path = String(url.dropFirst("http://127.0.0.1:\(server.port)".count))
            #expect(asked[path] == 1, "\(path) was committed before the kill and asked for again")
        }
        #expect(asked.count == count)
        #expect(try fixture.rows().allSatisfy { $0["status"] as String == "ok" })
    }

    @Test func theSameJournalGivesTheSameOutputBytesAtAnyThreadCount() throws {
        let server = try PhotoServer(routes: ["/a.jpg": .ok(FetchStageTests.jpeg), "/b.png": .ok(FetchStageTests.png)])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest(["/a.jpg", "/b.png", "/missing.jpg", "/a.jpg"].map(server.url) + ["mailto:someone@example.com"])
        _ = try fixture.fetch(threads: 2)
        let first = try StageMeta.read(path: fixture.work.file("fetch.sqlite")).contentHash
        _ = try fixture.fetch(threads: 1)
        #expect(try StageMeta.read(path: fixture.work.file("fetch.sqlite")).contentHash == first)
        #expect(server.allRequests.values.reduce(0, +) == 3)
    }
}

/// The stage in a pipeline file, between ingest and images, as `loom run` runs it.
@Suite struct FetchPipelineTests {
    @Test func loomRunFetchesBetweenIngestAndImagesAndSkipsAFreshFetch() throws {
        let server = try PhotoServer(routes: ["/a.jpg": .ok(FetchStageTests.jpeg), "/b.png": .ok(FetchStageTests.png)])
        defer { server.stop() }
        let fixture = FetchFixture()
        let records = [server.url("/a.jpg"), server.url("/b.png"), server.url("/gone.jpg")].enumerated().map { index, url in
            #"{"asin": "\#(FetchFixture.asin(index))", "title": "Dress \#(index)", "category": ["Clothing, Shoes & Jewelry", "Women", "Clothing", "Dresses"], "imageURLHighRes": ["\#(url)"]}"#
        }
        try (records.joined(separator: "\n") + "\n").write(toFile: fixture.work.file("catalog.jsonl"), atomically: true, encoding: .utf8)
        try """
            work: work
            out: out
            stages:
              ingest:
                catalog: [catalog.jsonl]
                images: []
              fetch:
                images_dir: photos
                contact: https://example.com/loom-tests
                max_reject_ratio: 0.5
              images:
                size: 64
                resize_shorter: 64
            """.write(toFile: fixture.work.file("pipeline.yaml"), atomically: true, encoding: .utf8)
        let (status, log) = try ProbeProcess("loom", arguments: ["run", fixture.work.file("pipeline.yaml")]).runToEnd()
        #expect(status == 0, "\(log)")
        let images = try StageMeta.read(path: fixture.work.file("work/images.sqlite"))
        #expect(images.counts["images"] == 2 && images.counts["items_without_image"] == 1)
        let fetch = try StageMeta.read(path: fixture.work.file("work/fetch.sqlite"))
        #expect(fetch.counts["fetched"] == 2 && fetch.rejects == 1)
        // The store sits where the pipeline file says, relative to the file.
        let photos = try FileManager.default.subpathsOfDirectory(atPath: fixture.work.file("photos")).filter { $0.contains(".") && !$0.hasPrefix(".") }
        #expect(photos.count == 2)

        let rerun = try ProbeProcess("loom", arguments: ["run", fixture.work.file("pipeline.yaml")]).runCapturingOutput()
        #expect(rerun.status == 0)
        #expect((rerun.stdout + rerun.stderr).contains("fetch: skipped"), "\(rerun)")
        #expect(server.allRequests == ["/a.jpg": 1, "/b.png": 1, "/gone.jpg": 1])

        // A store deleted by hand: the next run fetches again although the catalog is the same.
        try FileManager.default.removeItem(atPath: fixture.work.file("photos"))
        let third = try ProbeProcess("loom", arguments: ["run", fixture.work.file("pipeline.yaml")]).runCapturingOutput()
        #expect(third.status == 0)
        #expect((third.stdout + third.stderr).contains("fetch: running (stale: the photo store"), "\(third)")
        #expect(server.allRequests == ["/a.jpg": 2, "/b.png": 2, "/gone.jpg": 1])
    }

    @Test func retryFailedMakesAFreshFetchStaleWhileFailuresCanHeal() throws {
        let server = try PhotoServer(routes: ["/a.jpg": .ok(FetchStageTests.jpeg), "/down.jpg": .failFirst(1, with: .status(503), then: .ok(FetchStageTests.png))])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest([server.url("/a.jpg"), server.url("/down.jpg")])
        var settings = FetchFixture.settings
        settings.retries = 0
        settings.retryFailed = true
        _ = try fixture.fetch(settings)
        let runner = StageRunner(context: fixture.context())
        let before = try runner.freshness(FetchStage(), settings: settings)
        #expect(before.mustRun && before.explanation.contains("1 fetches whose failure can heal"), "\(before)")
        _ = try fixture.fetch(settings)
        let after = try runner.freshness(FetchStage(), settings: settings)
        #expect(!after.mustRun, "\(after)")
        #expect(server.allRequests == ["/a.jpg": 1, "/down.jpg": 2])
    }
}
