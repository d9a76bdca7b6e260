import Foundation

/// A photo URL checked and normalised before any connection: http or https only, a host, no
/// credentials; scheme and host lower-cased, the default port and the fragment dropped, an empty
/// path made `/`. The normalised form keys the journal, so the same photo written two ways is
/// fetched once.
struct PhotoURL: Sendable, Hashable {
    let string: String
    let scheme: String
    let host: String
    let port: Int

    /// The URL, or `unsupported_url` with why not.
    static func parse(_ raw: String) -> Result<PhotoURL, FetchFailure> {
        let trimmed = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { return .failure(FetchFailure(.unsupportedURL, "empty URL")) }
        guard let schemeEnd = trimmed.firstIndex(of: ":"),
              trimmed[..<schemeEnd].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else {
            return .failure(FetchFailure(.unsupportedURL, "no scheme in \(quoted(trimmed))"))
        }
        let scheme = trimmed[..<schemeEnd].lowercased()
        guard scheme == "http" || scheme == "https" else {
            return .failure(FetchFailure(.unsupportedURL, "scheme \(scheme): only http and https are fetched"))
        }
        guard var parts = URLComponents(string: trimmed) else {
            return .failure(FetchFailure(.unsupportedURL, "not a valid URL: \(quoted(trimmed))"))
        }
        guard let host = parts.host?.lowercased(), !host.isEmpty else {
            return .failure(FetchFailure(.unsupportedURL, "no host in \(quoted(trimmed))"))
        }
        guard parts.user == nil, parts.password == nil else {
            return .failure(FetchFailure(.unsupportedURL, "credentials in the URL are not sent"))
        }
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = parts.port, !(1...65535).contains(port) {
            return .failure(FetchFailure(.unsupportedURL, "port \(port) out of range"))
        }
        parts.scheme = scheme
        parts.host = host
        if parts.port == defaultPort { parts.port = nil }
        parts.fragment = nil
        if parts.percentEncodedPath.isEmpty { parts.percentEncodedPath = "/" }
        guard let string = parts.string else {
            return .failure(FetchFailure(.unsupportedURL, "not a valid URL: \(quoted(trimmed))"))
        }
        return .success(PhotoURL(string: string, scheme: scheme, host: host, port: parts.port ?? defaultPort))
    }

    /// Where a redirect's `Location` (absolute or relative to this URL) points, checked as a new URL:
    /// a redirect never leaves http and https.
    func resolving(location: String) -> Result<PhotoURL, FetchFailure> {
        guard let base = URL(string: string), let target = URL(string: location, relativeTo: base)?.absoluteString else {
            return .failure(FetchFailure(.unsupportedURL, "redirect to an invalid location \(PhotoURL.quoted(location))"))
        }
        return PhotoURL.parse(target).mapError { FetchFailure($0.reason, "redirect from \(string): \($0.detail)") }
    }

    /// The host and port requests are limited and counted by.
    var hostKey: String { "\(host):\(port)" }

    private static func quoted(_ text: String) -> String {
        text.count > 200 ? "\"\(text.prefix(200))…\"" : "\"\(text)\""
    }
}
