import Foundation
import LoomCore

/// Settings of the fetch stage (`stages.fetch` in a pipeline file): where the photos go, how hard
/// and how politely the web is asked for them.
public struct FetchSettings: StageSettings {
    /// The content-addressed photo store; empty: `<work>/photos`.
    public var imagesDir: String
    /// Requests in flight at once, over all hosts.
    public var concurrency: Int
    /// Requests in flight at once to one host.
    public var perHost: Int
    /// Requests started per second to one host; 0: no limit.
    public var maxRequestsPerSecondPerHost: Double
    /// Seconds to open a connection.
    public var connectTimeout: Double
    /// Seconds for a whole request, from its start to the body's last byte (a slow drip fails).
    public var timeout: Double
    /// Redirects followed from one URL before it is a `redirect_loop`.
    public var maxRedirects: Int
    /// A body longer than this is not read further (`too_large`).
    public var maxBytes: Int
    /// Further tries of a request that failed on a connection error, 429 or 5xx, with exponential
    /// backoff (`retry_backoff` seconds, doubled each time, with jitter) or the server's `Retry-After`.
    public var retries: Int
    public var retryBackoff: Double
    /// The longest `Retry-After` waited for; a server asking for more is a failure of this run.
    public var maxRetryAfter: Double
    /// Who to contact about the crawler, sent in the User-Agent (`Loom/<version> (+<contact>)`):
    /// a site's operators can then reach the person running it.
    public var contact: String
    /// `X-Robots-Tag` directives that mean "do not keep": a photo served with one is `opted_out`.
    public var optOutTags: [String]
    /// Also fetch again the URLs whose last failure can heal (timeouts, 5xx, 429, connection and DNS
    /// errors); never 4xx or opted-out ones. Off: a run fetches only URLs that have no result yet.
    public var retryFailed: Bool
    /// The web loses photos: the stage fails only when more than this fraction of fetches fail.
    public var maxRejectRatio: Double

    public static let defaults = FetchSettings(
        imagesDir: "", concurrency: 64, perHost: 16, maxRequestsPerSecondPerHost: 0, connectTimeout: 10, timeout: 30,
        maxRedirects: 5, maxBytes: 20_000_000, retries: 3, retryBackoff: 1, maxRetryAfter: 60, contact: "",
        optOutTags: ["noai", "noimageai", "noindex", "noimageindex"], retryFailed: false, maxRejectRatio: 0.5)

    enum CodingKeys: String, CodingKey {
        case concurrency, timeout, retries, contact
        case imagesDir = "images_dir"
        case perHost = "per_host"
        case maxRequestsPerSecondPerHost = "max_requests_per_second_per_host"
        case connectTimeout = "connect_timeout"
        case maxRedirects = "max_redirects"
        case maxBytes = "max_bytes"
        case retryBackoff = "retry_backoff"
        case maxRetryAfter = "max_retry_after"
        case optOutTags = "opt_out_tags"
        case retryFailed = "retry_failed"
        case maxRejectRatio = "max_reject_ratio"
    }

    public static var pathKeys: Set<String> { ["images_dir"] }

    /// The photo store for a work directory.
    public func storeDirectory(work: String) -> String {
        imagesDir.isEmpty ? (work as NSString).appendingPathComponent("photos") : imagesDir
    }

    public var userAgent: String {
        contact.isEmpty ? "Loom/\(LoomVersion.current)" : "Loom/\(LoomVersion.current) (+\(contact))"
    }

    func validate() throws {
        guard concurrency >= 1, concurrency <= 4096 else { throw LoomError.usage("concurrency must be 1…4096", key: "concurrency") }
        guard perHost >= 1 else { throw LoomError.usage("per_host must be at least 1", key: "per_host") }
        guard maxRequestsPerSecondPerHost >= 0 else {
            throw LoomError.usage("max_requests_per_second_per_host must be 0 (no limit) or positive", key: "max_requests_per_second_per_host")
        }
        guard connectTimeout > 0, timeout > 0 else { throw LoomError.usage("connect_timeout and timeout must be positive seconds", key: "timeout") }
        guard maxRedirects >= 0 else { throw LoomError.usage("max_redirects must be 0 or more", key: "max_redirects") }
        guard maxBytes > 0 else { throw LoomError.usage("max_bytes must be positive", key: "max_bytes") }
        guard retries >= 0, retryBackoff >= 0, maxRetryAfter >= 0 else {
            throw LoomError.usage("retries, retry_backoff and max_retry_after must be 0 or more", key: "retries")
        }
        guard !contact.contains(where: { $0.isNewline || $0 == "(" || $0 == ")" }) else {
            throw LoomError.usage("contact must be one line without parentheses (it goes into the User-Agent)", key: "contact")
        }
    }
}
