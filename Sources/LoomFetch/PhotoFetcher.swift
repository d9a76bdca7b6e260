import AsyncHTTPClient
import Foundation
import LoomCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// Fetches photo URLs over HTTP: `concurrency` requests in flight, at most `per_host` and
/// `max_requests_per_second_per_host` to one host, redirects followed by hand (each target checked
/// as a new URL, loops caught), retries with exponential backoff and jitter (or the server's
/// `Retry-After`) on connection errors, 429 and 5xx; each body checked by its bytes and put in the
/// store. The caller feeds URLs as room frees up and takes the results in batches, so memory
/// holds a bounded number of requests and bodies whatever the catalog's size.
final class PhotoFetcher: @unchecked Sendable {
    // @unchecked: the scheduling state is touched only under `condition`; the client, the group
    // and the settings are immutable and thread-safe.

    /// One URL being fetched: where it is now (after redirects), and what it took so far.
    struct Job: Sendable {
        let url: PhotoURL
        var current: PhotoURL
        var visited: [String]
        var attempts = 0
        var retries = 0
        var lastStatus: Int?
        var notBefore = NIODeadline.uptimeNanoseconds(0)

        init(_ url: PhotoURL) {
            self.url = url
            current = url
            visited = [url.string]
        }
    }

    private struct Host {
        var ready = CircularBuffer<Job>()
        var inFlight = 0
        var nextStart = NIODeadline.uptimeNanoseconds(0)
    }

    private let settings: FetchSettings
    private let store: PhotoStore
    private let group: MultiThreadedEventLoopGroup
    private let client: HTTPClient
    private let headers: HTTPHeaders
    private let optOutTags: Set<String>
    private let startInterval: TimeAmount

    private let condition = NSCondition()
    private var hosts: [String: Host] = [:]
    /// Hosts with ready jobs, in turn.
    private var turn = CircularBuffer<String>()
    private var delayed: [Job] = []
    private var inFlight = 0
    private var queued = 0
    private var finished: [FetchRecord] = []
    private var wakeAt: NIODeadline?
    private var released = 0
    /// Why the store could not take a photo, which ends the run.
    private var storeError: LoomError?
    /// Bytes of photos downloaded (successes only).
    private(set) var bytesDownloaded = 0

    init(settings: FetchSettings, store: PhotoStore, threads: Int) {
        self.settings = settings
        self.store = store
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: PhotoFetcher.amount(settings.connectTimeout), read: PhotoFetcher.amount(settings.timeout)),
            connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.perHost),
            decompression: .disabled)
        configuration.httpVersion = .automatic
        // A refused, unreachable or unresolvable host fails at once (and is retried here, with
        // backoff), instead of AsyncHTTPClient trying to connect again until the request's deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        client = HTTPClient(eventLoopGroup: group, configuration: configuration)
        headers = ["User-Agent": settings.userAgent, "Accept": "image/jpeg, image/png;q=0.9, */*;q=0.1"]
        optOutTags = Set(settings.optOutTags.map { $0.lowercased() })
        startInterval = settings.maxRequestsPerSecondPerHost > 0 ? PhotoFetcher.amount(1 / settings.maxRequestsPerSecondPerHost) : .zero
    }

    /// Seconds as a TimeAmount, at most a year (settings may say `.inf`).
    static func amount(_ seconds: Double) -> TimeAmount { .nanoseconds(Int64((min(max(seconds, 0), 31_536_000) * 1e9).rounded())) }

    func shutdown() {
        try? client.syncShutdown()
        try? group.syncShutdownGracefully()
    }

    /// Fetches every URL `next` gives (nil: no more), handing finished records to `deliver` in
    /// batches on the calling thread (at least every 0.2 s, empty when none finished); returns
    /// when all are done.
    func run(next: () throws -> PhotoURL?, deliver: ([FetchRecord]) throws -> Void) throws {
        let room = max(2 * settings.concurrency, 64)
        var exhausted = false
        while true {
            var fresh: [PhotoURL] = []
            if !exhausted {
                let wanted = locked { room - inFlight - queued }
                while fresh.count < wanted {
                    guard let url = try next() else {
                        exhausted = true
                        break
                    }
                    fresh.append(url)
                }
            }
            condition.lock()
            for url in fresh { enqueue(Job(url)) }
            var starts = dispatch()
            // Nothing to hand over and no room for more URLs: wait for a request to end.
            let hasRoom = !exhausted && inFlight + queued < room
            if starts.isEmpty && finished.isEmpty && storeError == nil && !hasRoom && inFlight + queued > 0 {
                _ = condition.wait(until: Date().addingTimeInterval(0.2))
                starts += dispatch()
            }
            let records = finished
            finished.removeAll(keepingCapacity: true)
            let done = exhausted && inFlight == 0 && queued == 0
            let failure = storeError
            condition.unlock()
            // A store that cannot be written (a full disk) stops the stage: no photo is taken for lost.
            if let failure { throw failure }
            for job in starts { start(job) }
            // Called on every wake-up, with or without records: the caller commits on time.
            try deliver(records)
            if done { return }
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }

    /// Under the lock: a job joins its host's queue (or waits for its time).
    private func enqueue(_ job: Job) {
        queued += 1
        if job.notBefore > .now() {
            delayed.append(job)
            return
        }
        let key = job.current.hostKey
        var host = hosts[key] ?? Host()
        if host.ready.isEmpty && !turn.contains(key) { turn.append(key) }
        host.ready.append(job)
        hosts[key] = host
    }

    /// Under the lock: the jobs that may start now, taken from their queues host by host in turn.
    private func dispatch() -> [Job] {
        let now = NIODeadline.now()
        if !delayed.isEmpty {
            let due = delayed.filter { $0.notBefore <= now }
            delayed.removeAll { $0.notBefore <= now }
            queued -= due.count
            for job in due { enqueue(job) }
        }
        var starts: [Job] = []
        var earliest = delayed.map(\.notBefore).min()
        var waiting = turn.count
        while inFlight < settings.concurrency, waiting > 0, let key = turn.popFirst() {
            waiting -= 1
            var host = hosts[key]!
            if host.inFlight >= settings.perHost {
                turn.append(key)
                continue
            }
            if host.nextStart > now {
                earliest = min(earliest ?? host.nextStart, host.nextStart)
                turn.append(key)
                continue
            }
            let job = host.ready.removeFirst()
            host.inFlight += 1
            host.nextStart = now + startInterval
            hosts[key] = host
            inFlight += 1
            queued -= 1
            starts.append(job)
            if !host.ready.isEmpty {
                turn.append(key)
                waiting += 1
            }
        }
        if let earliest, wakeAt.map({ earliest < $0 }) ?? true {
            wakeAt = earliest
            group.any().scheduleTask(deadline: earliest) { [self] in
                let starts = locked {
                    if wakeAt == earliest { wakeAt = nil }
                    return dispatch()
                }
                for job in starts { start(job) }
            }
        }
        return starts
    }

    private func start(_ waiting: Job) {
        var started = waiting
        started.attempts += 1
        let job = started
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: job.current.string, method: .GET, headers: headers)
        } catch {
            return complete(job, with: .failure(FetchFailure(.unsupportedURL, "\(job.current.string): \(error)")), host: job.current.hostKey)
        }
        let download = PhotoDownload(maxBytes: settings.maxBytes, optOutTags: optOutTags)
        let loop = group.next()
        let task = client.execute(request: request, delegate: download, eventLoop: .delegateAndChannel(on: loop),
                                  deadline: .now() + PhotoFetcher.amount(settings.timeout))
        let host = job.current.hostKey
        task.futureResult.whenComplete { [self] result in
            switch result {
            case .success(let response):
                answered(job, head: response.head, body: response.body, host: host)
            case .failure(let error as PhotoDownload.StoppedAtHead):
                answered(job, head: error.head, body: ByteBuffer(), host: host)
            case .failure(let error):
                var failed = job
                failed.lastStatus = download.progress.head.map { Int($0.status.code) } ?? job.lastStatus
                complete(failed, with: .failure(PhotoFetcher.classify(error, progress: download.progress)), host: host)
            }
        }
    }

    /// A response came: a photo to check and store, a redirect to follow, or a status that fails
    /// now or after a retry.
    private func answered(_ job: Job, head: HTTPResponseHead, body: ByteBuffer, host: String) {
        var job = job
        let status = Int(head.status.code)
        job.lastStatus = status
        switch status {
        case 200..<300:
            let result: Result<FetchRecord.Photo, FetchFailure>
            do {
                result = try body.withUnsafeReadableBytes { bytes -> Result<FetchRecord.Photo, FetchFailure> in
                    switch PhotoFormat.sniff(bytes) {
                    case .failure(let failure):
                        return .failure(failure)
                    case .success(let format):
                        let stored = try store.store(bytes, format: format)
                        return .success(FetchRecord.Photo(bytes: bytes.count, contentHash: stored.contentHash, format: format))
                    }
                }
            } catch {
                return storeFailed(error, host: host)
            }
            complete(job, with: result, host: host)
        case 301, 302, 303, 307, 308:
            guard let location = head.headers.first(name: "location") else {
                return complete(job, with: .failure(FetchFailure(.httpOther, "HTTP \(status) without a Location")), host: host)
            }
            switch job.current.resolving(location: location) {
            case .failure(let failure):
                complete(job, with: .failure(failure), host: host)
            case .success(let target):
                if job.visited.contains(target.string) {
                    return complete(job, with: .failure(FetchFailure(.redirectLoop, "redirected back to \(target.string)")), host: host)
                }
                guard job.visited.count <= settings.maxRedirects else {
                    return complete(job, with: .failure(FetchFailure(.redirectLoop, "more than \(settings.maxRedirects) redirects")), host: host)
                }
                job.current = target
                job.visited.append(target.string)
                job.notBefore = .uptimeNanoseconds(0)
                requeue(job, host: host)
            }
        default:
            let failure = FetchFailure.status(status)
            complete(job, with: .failure(failure), host: host, retryAfter: head.headers.first(name: "retry-after"))
        }
    }

    /// A job is finished, or waits for its retry.
    private func complete(_ job: Job, with result: Result<FetchRecord.Photo, FetchFailure>, host: String, retryAfter: String? = nil) {
        if case .failure(let failure) = result, failure.reason.retriedInRun, job.retries < settings.retries,
           let delay = retryDelay(job, retryAfter: retryAfter) {
            var retry = job
            retry.retries += 1
            retry.current = job.url
            retry.visited = [job.url.string]
            retry.notBefore = .now() + delay
            // A server that says when to come back (Retry-After) gets no request before then.
            return requeue(retry, host: host, holdHostUntil: retryAfter == nil ? nil : retry.notBefore)
        }
        let record = FetchRecord(url: job.url.string, httpStatus: job.lastStatus, result: result, attempts: job.attempts)
        let starts = locked {
            release(host)
            if case .success(let photo) = result { bytesDownloaded += photo.bytes }
            finished.append(record)
            condition.signal()
            return dispatch()
        }
        for job in starts { start(job) }
    }

    private func storeFailed(_ error: Error, host: String) {
        locked {
            release(host)
            if storeError == nil {
                storeError = error as? LoomError ?? .cannotCreateOutput(path: store.root, reason: "\(error)")
            }
            condition.signal()
        }
    }

    private func requeue(_ job: Job, host: String, holdHostUntil: NIODeadline? = nil) {
        let starts = locked {
            if let holdHostUntil { hosts[host]!.nextStart = max(hosts[host]!.nextStart, holdHostUntil) }
            release(host)
            enqueue(job)
            condition.signal()
            return dispatch()
        }
        for job in starts { start(job) }
    }

    /// Under the lock: a request to `host` ended. A host with nothing in flight or queued is
    /// forgotten once its next start is due (so its rate holds for a redirect or retry that comes
    /// back later).
    private func release(_ host: String) {
        inFlight -= 1
        hosts[host]!.inFlight -= 1
        let now = NIODeadline.now()
        if hosts[host]!.inFlight == 0 && hosts[host]!.ready.isEmpty && !turn.contains(host) && hosts[host]!.nextStart <= now {
            hosts[host] = nil
        }
        released += 1
        if released % 4096 == 0 {
            hosts = hosts.filter { $0.value.inFlight > 0 || !$0.value.ready.isEmpty || $0.value.nextStart > now }
        }
    }

    /// How long to wait before retry `job.retries + 1`: the server's `Retry-After` (seconds or an
    /// HTTP date) when it gives one within `max_retry_after` — nil, no retry, when it asks for
    /// more — else `retry_backoff` doubled per retry, between half and all of it (jitter, so that
    /// many failed requests do not come back at the same moment).
    private func retryDelay(_ job: Job, retryAfter: String?) -> TimeAmount? {
        if let retryAfter {
            let trimmed = retryAfter.trimmingCharacters(in: .whitespaces)
            var seconds = Double(trimmed)
            if seconds == nil, let date = PhotoFetcher.httpDate(trimmed) { seconds = max(0, date.timeIntervalSinceNow) }
            if let seconds {
                return seconds <= settings.maxRetryAfter ? PhotoFetcher.amount(seconds) : nil
            }
        }
        let full = settings.retryBackoff * Double(1 << min(job.retries, 20))
        return PhotoFetcher.amount(full * Double.random(in: 0.5...1))
    }

    private static func httpDate(_ text: String) -> Date? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text)
    }

    /// The reason of a request that ended in an error rather than a response.
    static func classify(_ error: Error, progress: PhotoDownload.Progress) -> FetchFailure {
        if let failure = error as? FetchFailure { return failure }
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return FetchFailure(.timeout, timeoutDetail(error, progress: progress))
            default: break
            }
        }
        if error is ChannelError, case .connectTimeout = error as! ChannelError {
            return FetchFailure(.timeout, "connecting: \(error)")
        }
        if error is SocketAddressError {
            return FetchFailure(.dns, "\(error)")
        }
        if let error = error as? NIOConnectionError, error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
            return FetchFailure(.dns, "resolving \(error.host): \(error.dnsAError ?? error.dnsAAAAError!)")
        }
        if progress.head != nil, let expected = progress.expected, progress.received < expected {
            return FetchFailure(.truncated, "connection closed after \(progress.received) of \(expected) bytes (\(error))")
        }
        return FetchFailure(.connection, "\(error)")
    }

    private static func timeoutDetail(_ error: HTTPClientError, progress: PhotoDownload.Progress) -> String {
        guard progress.head != nil else { return "no response in time (\(error))" }
        let of = progress.expected.map { " of \($0)" } ?? ""
        return "body not complete in time: \(progress.received)\(of) bytes (\(error))"
    }
}
