import LoomCore

/// Why a photo URL gave no photo: a stable reason code (`fetches.error`, `rejects.reason`, the
/// report's counts) with the detail a person needs to look into it.
public struct FetchFailure: Error, Sendable, Equatable {
    public enum Reason: String, Sendable, CaseIterable {
        case http404 = "http_404"
        /// Any other 4xx but 429: the request is wrong or forbidden; never retried.
        case http4xx = "http_4xx"
        /// 429 Too Many Requests still, after the retries.
        case http429 = "http_429"
        case http5xx = "http_5xx"
        /// Not a 2xx, 3xx, 4xx or 5xx answer (1xx after the head, or a code past 599).
        case httpOther = "http_other"
        case timeout
        case connection
        case dns
        /// The connection closed before the body's announced length arrived.
        case truncated
        /// A redirect back to a URL already visited, or more than `max_redirects`.
        case redirectLoop = "redirect_loop"
        case tooLarge = "too_large"
        case notAnImage = "not_an_image"
        /// An image, but not one the images stage decodes (WebP, GIF, AVIF …).
        case unsupportedFormat = "unsupported_format"
        /// `X-Robots-Tag` says the photo may not be used.
        case optedOut = "opted_out"
        /// Not an http or https URL, or not a URL at all (checked before any connection).
        case unsupportedURL = "unsupported_url"

        /// Whether trying again later may succeed: these are fetched again by `--retry-failed`.
        public var canHeal: Bool {
            switch self {
            case .timeout, .connection, .dns, .http5xx, .http429, .truncated: true
            default: false
            }
        }

        /// Whether the same run tries again at once (after a backoff): errors of the moment.
        var retriedInRun: Bool {
            switch self {
            case .connection, .http5xx, .http429: true
            default: false
            }
        }

        public var rejectReason: RejectReason { RejectReason(rawValue) }
    }

    public var reason: Reason
    public var detail: String

    public init(_ reason: Reason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    /// The reason of an HTTP status that is neither a success nor a redirect.
    static func status(_ code: Int) -> FetchFailure {
        switch code {
        case 404: FetchFailure(.http404, "HTTP 404 Not Found")
        case 408: FetchFailure(.timeout, "HTTP 408 Request Timeout")
        case 429: FetchFailure(.http429, "HTTP 429 Too Many Requests")
        case 400..<500: FetchFailure(.http4xx, "HTTP \(code)")
        case 500..<600: FetchFailure(.http5xx, "HTTP \(code)")
        default: FetchFailure(.httpOther, "HTTP \(code)")
        }
    }
}
