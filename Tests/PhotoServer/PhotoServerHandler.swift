import NIOCore
import NIOHTTP1

/// One connection of `PhotoServer`: reads a request, answers it as the server says.
final class PhotoServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let server: PhotoServer
    private var path = ""
    private var keepAlive = true
    /// A request is being answered (counted in the server's concurrency until it ends or the connection closes).
    private var answering = false

    init(server: PhotoServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            path = String(head.uri.prefix { $0 != "?" })
            keepAlive = head.isKeepAlive
            server.began(userAgent: head.headers.first(name: "user-agent"))
            answering = true
        case .body:
            break
        case .end:
            respond(server.answer(for: path), context: context)
        }
    }

    private func respond(_ answer: PhotoServer.Answer, context: ChannelHandlerContext) {
        switch answer {
        case .ok(let body, let extra):
            var headers = HTTPHeaders(extra)
            if !headers.contains(name: "content-type") { headers.add(name: "Content-Type", value: "image/jpeg") }
            send(status: .ok, headers: headers, body: body, context: context)
        case .status(let code, let extra):
            let status = HTTPResponseStatus(statusCode: code)
            send(status: status, headers: HTTPHeaders(extra), body: Array("\(code) \(status.reasonPhrase)\n".utf8), context: context)
        case .redirect(let location, let code):
            send(status: HTTPResponseStatus(statusCode: code), headers: ["Location": location], body: [], context: context)
        case .failFirst:
            break   // resolved by the server
        case .truncated(let body):
            writeHead(.ok, ["Content-Type": "image/jpeg", "Content-Length": "\(body.count)"], context: context)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body.prefix(body.count / 2))))), promise: nil)
            context.flush()
            context.close(promise: nil)
        case .drip(let body, let every):
            writeHead(.ok, ["Content-Type": "image/jpeg", "Content-Length": "\(body.count)"], context: context)
            context.flush()
            drip(body[...], every: every, context: context)
        case .endless(let bytes):
            writeHead(.ok, ["Content-Type": "image/jpeg"], context: context)
            sendZeros(bytes, context: context)
        case .delayed(let seconds, let then):
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { [self] in
                respond(then, context: context)
            }
        }
    }

    private func writeHead(_ status: HTTPResponseStatus, _ headers: HTTPHeaders, context: ChannelHandlerContext) {
        var headers = headers
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
    }

    private func send(status: HTTPResponseStatus, headers: HTTPHeaders, body: [UInt8], context: ChannelHandlerContext) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: "\(body.count)")
        writeHead(status, headers, context: context)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        end(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finishAnswer()
        context.fireChannelInactive()
    }

    private func finishAnswer() {
        if answering { server.ended() }
        answering = false
    }

    private func end(context: ChannelHandlerContext) {
        finishAnswer()
        let keepAlive = keepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func drip(_ rest: ArraySlice<UInt8>, every: Double, context: ChannelHandlerContext) {
        guard let byte = rest.first, context.channel.isActive else {
            if context.channel.isActive { end(context: context) }
            return
        }
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: [byte])))), promise: nil)
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(every * 1000))) { [self] in
            drip(rest.dropFirst(), every: every, context: context)
        }
    }

    private func sendZeros(_ remaining: Int, context: ChannelHandlerContext) {
        guard remaining > 0 else { return end(context: context) }
        let count = min(remaining, 1 << 20)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(repeating: 0, count: count))))).assumeIsolated().whenSuccess { [self] in
            sendZeros(remaining - count, context: context)
        }
    }
}
