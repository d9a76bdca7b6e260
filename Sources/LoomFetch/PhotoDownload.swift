import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One HTTP request's response, read as it arrives: a success's body up to `max_bytes` (the read
/// stops past it), nothing kept of another answer's body (the status is what counts), and an early
/// stop for a photo whose `X-Robots-Tag` opts out, before its body is read.
final class PhotoDownload: HTTPClientResponseDelegate, @unchecked Sendable {
    // @unchecked: AsyncHTTPClient calls a delegate on its task's event loop only, one call at a
    // time, and the fetcher reads `progress` from the task's future, on that same loop.

    struct Response: Sendable {
        var head: HTTPResponseHead
        var body: ByteBuffer
    }

    /// How far the response got: an error after the head with part of the announced body is a
    /// truncation, not a failed connection.
    struct Progress: Sendable {
        var head: HTTPResponseHead?
        var received = 0
        var expected: Int?
    }

    /// The response's head, when the request stops at it (not a success, or an opted-out photo).
    struct StoppedAtHead: Error {
        var head: HTTPResponseHead
    }

    private let maxBytes: Int
    private let optOutTags: Set<String>
    private(set) var progress = Progress()
    private var body = ByteBuffer()
    /// Bodies of answers other than a success are counted but not kept; one past this stops.
    private static let discardLimit = 1 << 20

    init(maxBytes: Int, optOutTags: Set<String>) {
        self.maxBytes = maxBytes
        self.optOutTags = optOutTags
    }

    var isSuccess: Bool { progress.head.map { (200..<300).contains($0.status.code) } ?? false }

    func didReceiveHead(task: HTTPClient.Task<Response>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        progress.head = head
        progress.expected = head.headers.first(name: "content-length").flatMap { Int($0) }
        guard isSuccess else { return task.eventLoop.makeSucceededVoidFuture() }
        if let expected = progress.expected, expected > maxBytes {
            return task.eventLoop.makeFailedFuture(FetchFailure(.tooLarge, "Content-Length \(expected) is over max_bytes \(maxBytes)"))
        }
        if let tag = PhotoDownload.optOut(head.headers, tags: optOutTags) {
            return task.eventLoop.makeFailedFuture(FetchFailure(.optedOut, "X-Robots-Tag: \(tag)"))
        }
        body.reserveCapacity(min(progress.expected ?? 64 << 10, maxBytes))
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Response>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        progress.received += buffer.readableBytes
        if isSuccess {
            guard progress.received <= maxBytes else {
                return task.eventLoop.makeFailedFuture(FetchFailure(.tooLarge, "body longer than max_bytes \(maxBytes)"))
            }
            var part = buffer
            body.writeBuffer(&part)
        } else if progress.received > PhotoDownload.discardLimit, let head = progress.head {
            return task.eventLoop.makeFailedFuture(StoppedAtHead(head: head))
        }
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Response>) throws -> Response {
        guard let head = progress.head else { throw HTTPClientError.remoteConnectionClosed }
        return Response(head: head, body: body)
    }

    /// The first `X-Robots-Tag` directive among `tags` that applies to Loom: one in a header
    /// value for every robot, or one addressed to every robot (`*:`) or to Loom (`loom:`); not one
    /// addressed to another robot (`googlebot: noindex, noimageindex` names Google's crawler for
    /// both). Each header line is read whole: the robot it names holds for all its directives.
    static func optOut(_ headers: HTTPHeaders, tags: Set<String>) -> String? {
        for line in headers["x-robots-tag"] {
            var value = line.trimmingCharacters(in: .whitespaces).lowercased()
            if let colon = value.firstIndex(of: ":") {
                let robot = value[..<colon].trimmingCharacters(in: .whitespaces)
                // A robot's name is one word, and not a directive that takes a value itself.
                if !robot.contains(",") && !robot.contains(" ") && !PhotoDownload.valuedDirectives.contains(robot) {
                    guard robot == "*" || robot == "loom" else { continue }
                    value = String(value[value.index(after: colon)...])
                }
            }
            for directive in value.split(separator: ",") {
                let name = directive.trimmingCharacters(in: .whitespaces)
                if tags.contains(name) { return name }
            }
        }
        return nil
    }

    /// Directives written `name: value`, which are not robot names.
    private static let valuedDirectives: Set<String> = ["unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"]
}
