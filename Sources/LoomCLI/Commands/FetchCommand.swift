import ArgumentParser
import LoomCore
import LoomFetch

/// `loom fetch` / `loom-fetch`: the items' image URLs → photos in a content-addressed store,
/// listed in work/fetch.sqlite.
public struct FetchCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "fetch",
        abstract: "Download the photo of every item that has an image URL and no image file.",
        discussion: """
            Photos go to a content-addressed store (IMAGES_DIR/ab/abcdef….jpg, by the SHA-256 of their bytes); \
            work/fetch.sqlite lists each item's result and the images stage reads the photos from there. \
            Results are committed as they come: a killed run loses nothing it finished, and a rerun asks only \
            for URLs without a result (--retry-failed: also those whose failure can heal: timeouts, 5xx, 429, \
            connection and DNS errors; never 4xx or opted-out photos).
            """,
        version: LoomHome.versionLine)

    @OptionGroup var workOptions: WorkOptions

    @Option(help: "The photo store (default: WORK/photos).")
    var imagesDir: String?

    @Option(help: "Requests in flight at once.")
    var concurrency: Int = FetchSettings.defaults.concurrency

    @Option(help: "Requests in flight at once to one host.")
    var perHost: Int = FetchSettings.defaults.perHost

    @Option(help: "Requests started per second to one host (0: no limit).")
    var maxRequestsPerSecondPerHost: Double = FetchSettings.defaults.maxRequestsPerSecondPerHost

    @Option(help: "Seconds for a whole request, body included.")
    var timeout: Double = FetchSettings.defaults.timeout

    @Option(help: "Seconds to connect.")
    var connectTimeout: Double = FetchSettings.defaults.connectTimeout

    @Option(help: "Bodies longer than this many bytes are not read further (too_large).")
    var maxBytes: Int = FetchSettings.defaults.maxBytes

    @Option(help: "Retries of a request that failed on a connection error, 429 or 5xx.")
    var retries: Int = FetchSettings.defaults.retries

    @Option(help: "Contact sent in the User-Agent (a URL or an e-mail address), so that a site's operators can reach you.")
    var contact: String = FetchSettings.defaults.contact

    @Flag(help: "Also fetch again the URLs whose last failure can heal.")
    var retryFailed = false

    @OptionGroup var rejectRatio: RejectRatioOption

    @OptionGroup var global: GlobalOptions

    public init() {}

    public func run() throws {
        var settings = FetchSettings.defaults
        settings.imagesDir = imagesDir ?? ""
        settings.concurrency = concurrency
        settings.perHost = perHost
        settings.maxRequestsPerSecondPerHost = maxRequestsPerSecondPerHost
        settings.timeout = timeout
        settings.connectTimeout = connectTimeout
        settings.maxBytes = maxBytes
        settings.retries = retries
        settings.contact = contact
        settings.retryFailed = retryFailed
        settings.maxRejectRatio = rejectRatio.ratio(or: settings.maxRejectRatio)
        try StageCommandRunner.run(FetchStage(), settings: settings, work: workOptions.work, global: global)
    }
}
