import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// An HTTP/1.1 server on loopback that answers each path as it is told to: photos, error
/// statuses, redirects, and the faults a crawler meets (a body cut half way, a slow drip, a body
/// without end, a header that opts out). It counts the requests for each path, so a test can see
/// what a client asked for and how often.
public final class PhotoServer: @unchecked Sendable {
    // @unchecked: `counts` is touched under `lock`; everything else is immutable after init.

    /// How the server answers a path.
    public indirect enum Answer: Sendable {
        /// 200 with this body and these headers (Content-Type image/jpeg unless given).
        case ok([UInt8], headers: [(String, String)] = [])
        /// This status, with a short body.
        case status(Int, headers: [(String, String)] = [])
        case redirect(to: String, status: Int = 302)
        /// `first` for the first `count` requests of the path, then `then`.
        case failFirst(Int, with: Answer, then: Answer)
        /// The whole body's Content-Length, half the body, then the connection closes.
        case truncated([UInt8])
        /// The body's Content-Length, then one byte every `every` seconds.
        case drip([UInt8], every: Double)
        /// A chunked body of `bytes` zero bytes (no Content-Length), sent as fast as it is read.
        case endless(bytes: Int)
        /// `then`, after `seconds`.
        case delayed(Double, then: Answer)
    }

    public let port: Int
    private let routes: [String: Answer]
    private let fallback: (@Sendable (String) -> Answer?)?
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var agents: Set<String> = []
    private var open = 0
    private var mostOpen = 0

    /// Starts the server on 127.0.0.1 at a free port. `fallback` answers paths not in `routes`
    /// (nil: 404).
    public init(routes: [String: Answer], fallback: (@Sendable (String) -> Answer?)? = nil, threads: Int = 1) throws {
        self.routes = routes
        self.fallback = fallback
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let box = ServerBox()
        channel = try ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(PhotoServerHandler(server: box.server!))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress?.port ?? 0
        box.server = self
    }

    /// Lets the child channels' initialiser reach the server, which exists only once bound.
    private final class ServerBox: @unchecked Sendable {
        // @unchecked: set once, before the first connection is accepted.
        var server: PhotoServer?
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Requests made for `path` so far.
    public func requests(_ path: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return counts[path, default: 0]
    }

    /// Requests made so far, by path.
    public var allRequests: [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    /// The User-Agent headers requests came with.
    public var userAgents: Set<String> {
        lock.lock()
        defer { lock.unlock() }
        return agents
    }

    /// The most requests the server was answering at one moment.
    public var mostConcurrentRequests: Int {
        lock.lock()
        defer { lock.unlock() }
        return mostOpen
    }

    func began(userAgent: String?) {
        lock.lock()
        if let userAgent { agents.insert(userAgent) }
        open += 1
        mostOpen = max(mostOpen, open)
        lock.unlock()
    }

    func ended() {
        lock.lock()
        open -= 1
        lock.unlock()
    }

    public func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Counts a request for `path` and says how to answer it.
    func answer(for path: String) -> Answer {
        lock.lock()
        counts[path, default: 0] += 1
        let number = counts[path]!
        lock.unlock()
        var answer = routes[path] ?? fallback?(path) ?? .status(404)
        while case .failFirst(let count, let first, let then) = answer {
            answer = number <= count ? first : then
        }
        return answer
    }
}
