import Foundation
import LoomCore
import LoomPhotoServer
import Testing
@testable import LoomFetch

/// What a fetch promises the sites it asks: a User-Agent with the user's contact, no more than
/// `per_host` requests at once and `max_requests_per_second_per_host` a second.
@Suite(.serialized) struct PoliteFetchTests {
    static func server(delay: Double) throws -> PhotoServer {
        let photo = FetchStageTests.jpeg
        return try PhotoServer(routes: [:], fallback: { path in path.hasPrefix("/p/") ? .delayed(delay, then: .ok(photo)) : nil })
    }

    @Test func perHostLimitsTheRequestsInFlightAndTheUserAgentNamesTheContact() throws {
        let server = try PoliteFetchTests.server(delay: 0.1)
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest((0..<12).map { server.url("/p/\($0).jpg") })
        var settings = FetchFixture.settings
        settings.perHost = 3
        settings.contact = "mailto:catalog-team@example.com"
        let report = try fixture.fetch(settings)
        #expect(report.counts["fetched"] == 12)
        #expect(server.mostConcurrentRequests == 3)
        #expect(server.userAgents == ["Loom/\(LoomVersion.current) (+mailto:catalog-team@example.com)"])
    }

    @Test func theRatePerHostSpacesTheRequests() throws {
        let server = try PoliteFetchTests.server(delay: 0)
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest((0..<10).map { server.url("/p/\($0).jpg") })
        var settings = FetchFixture.settings
        settings.maxRequestsPerSecondPerHost = 20
        let started = Date()
        let report = try fixture.fetch(settings)
        let seconds = Date().timeIntervalSince(started)
        #expect(report.counts["fetched"] == 10)
        // Ten starts 50 ms apart: at least 450 ms from the first to the last.
        #expect(seconds >= 0.45, "10 requests at 20/s took \(seconds) s")
    }

    @Test func theRateHoldsForRedirectsThatComeBackOneByOne() throws {
        let server = try PhotoServer(routes: ["/r1": .redirect(to: "/r2"), "/r2": .redirect(to: "/r3"), "/r3": .ok(FetchStageTests.jpeg)])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest([server.url("/r1")])
        var settings = FetchFixture.settings
        settings.maxRequestsPerSecondPerHost = 5
        let started = Date()
        let report = try fixture.fetch(settings)
        let seconds = Date().timeIntervalSince(started)
        #expect(report.counts["fetched"] == 1)
        #expect(try fixture.rows()[0]["attempts"] as Int == 3)
        // Three requests to one host, 200 ms apart although each came only after the last ended.
        #expect(seconds >= 0.38, "3 requests at 5/s took \(seconds) s")
    }

    @Test func aRefusedConnectionFailsAtOnceNotAtTheTimeout() throws {
        let fixture = FetchFixture()
        try fixture.ingest(["http://127.0.0.1:1/refused.jpg"])
        var settings = FetchFixture.settings
        settings.timeout = 30
        settings.retries = 0
        let started = Date()
        let report = try fixture.fetch(settings)
        #expect(report.rejectsByReason == ["connection": 1])
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func retryAfterAsADateHoldsTheHost() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let later = formatter.string(from: Date().addingTimeInterval(3))
        let server = try PhotoServer(routes: [
            "/busy.jpg": .failFirst(1, with: .status(429, headers: [("Retry-After", later)]), then: .ok(FetchStageTests.jpeg)),
            "/other.jpg": .delayed(0.2, then: .ok(FetchStageTests.png)),
        ])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest([server.url("/busy.jpg"), server.url("/other.jpg")])
        let started = Date()
        let report = try fixture.fetch()
        #expect(report.counts["fetched"] == 2)
        // The date is whole seconds: at least 2 s from now when the 429 came.
        #expect(Date().timeIntervalSince(started) >= 1.9)
        #expect(server.allRequests == ["/busy.jpg": 2, "/other.jpg": 1])
    }

    @Test(arguments: [
        ("HTTP://Images.Example.COM:80/a/b.jpg#top", "http://images.example.com/a/b.jpg"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com:8443/x.jpg?size=large", "https://example.com:8443/x.jpg?size=large"),
        ("  http://example.com/space%20d.jpg\n", "http://example.com/space%20d.jpg"),
    ])
    func urlsAreNormalisedBeforeAnyConnection(raw: String, normalised: String) throws {
        #expect(try PhotoURL.parse(raw).get().string == normalised)
    }

    @Test(arguments: ["file:///etc/passwd", "ftp://example.com/a.jpg", "data:image/png;base64,iVBORw0KGgo=", "javascript:alert(1)",
                      "//example.com/a.jpg", "http://", "http://user:secret@example.com/a.jpg", "http://exa mple.com/a.jpg", ""])
    func urlsThatAreNotHttpAreRefused(raw: String) {
        #expect(throws: FetchFailure.self) { try PhotoURL.parse(raw).get() }
        #expect((try? PhotoURL.parse(raw).get()) == nil)
        if case .failure(let failure) = PhotoURL.parse(raw) { #expect(failure.reason == .unsupportedURL) }
    }

    @Test func aRedirectNeverLeavesHttp() throws {
        let base = try PhotoURL.parse("https://example.com/a/b.jpg").get()
        #expect(try base.resolving(location: "../c.png").get().string == "https://example.com/c.png")
        #expect(try base.resolving(location: "http://other.example/d.jpg").get().host == "other.example")
        if case .failure(let failure) = base.resolving(location: "file:///etc/passwd") { #expect(failure.reason == .unsupportedURL) }
        else { Issue.record("a redirect to file: was followed") }
    }

    @Test func theFormatComesFromTheBytes() throws {
        func sniff(_ bytes: [UInt8]) -> Result<PhotoFormat, FetchFailure> { bytes.withUnsafeBytes { PhotoFormat.sniff($0) } }
        #expect(try sniff(FetchStageTests.jpeg).get() == .jpeg)
        #expect(try sniff(FetchStageTests.png).get() == .png)
        let webp = Array("RIFF".utf8) + [0x24, 0, 0, 0] + Array("WEBPVP8 ".utf8)
        for (bytes, reason) in [(webp, FetchFailure.Reason.unsupportedFormat), (Array("GIF89a".utf8), .unsupportedFormat),
                                (Array("<html>".utf8), .notAnImage), ([], .notAnImage)] {
            if case .failure(let failure) = sniff(bytes) { #expect(failure.reason == reason) } else { Issue.record("\(bytes) taken for a photo") }
        }
    }

    @Test func optOutsApplyToEveryRobotOrToLoomNotToAnother() {
        func optOut(_ values: [String]) -> String? {
            PhotoDownload.optOut(.init(values.map { ("X-Robots-Tag", $0) }), tags: ["noai", "noimageai", "noindex", "noimageindex"])
        }
        #expect(optOut(["noai"]) == "noai")
        #expect(optOut(["nofollow, NoImageAI"]) == "noimageai")
        #expect(optOut(["googlebot: noindex"]) == nil)
        #expect(optOut(["googlebot: noindex, noimageindex"]) == nil)
        #expect(optOut(["googlebot: noindex", "noimageai"]) == "noimageai")
        #expect(optOut(["nofollow, unavailable_after: 25 Jun 2010 15:00:00 PST, noindex"]) == "noindex")
        #expect(optOut(["*: noai"]) == "noai")
        #expect(optOut(["loom: noindex"]) == "noindex")
        #expect(optOut(["nofollow", "noarchive"]) == nil)
    }
}

/// A store that cannot be written stops the stage with exit 73 rather than losing photos.
@Suite struct FetchStoreTests {
    @Test func aStoreThatCannotBeMadeIsExit73AndNothingIsAsked() throws {
        let server = try PhotoServer(routes: ["/a.jpg": .ok(FetchStageTests.jpeg)])
        defer { server.stop() }
        let fixture = FetchFixture()
        try fixture.ingest([server.url("/a.jpg")])
        try "not a folder".write(toFile: fixture.work.file("blocked"), atomically: true, encoding: .utf8)
        var settings = FetchFixture.settings
        settings.imagesDir = fixture.work.file("blocked")
        #expect { _ = try fixture.fetch(settings) } throws: { error in
            (error as? LoomError).map { $0.exitStatus == .cannotCreateOutput } ?? false
        }
        #expect(server.allRequests.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: fixture.work.file("fetch.sqlite")))
    }
}
