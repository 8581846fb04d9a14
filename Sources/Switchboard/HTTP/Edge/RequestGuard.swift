import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOTLS

/// Holds each connection to its time limits and answers every request the HTTP parser or the edge refuses.
///
/// It sits right after the HTTP decoder (after TLS), so it sees the handshake end, each request's head, body and end,
/// and each response's head and end:
///
/// - **Deadlines**: the TLS handshake within ``EdgeConfiguration/tlsHandshakeTimeout`` of the connection; the first
///   request's head within ``EdgeConfiguration/headerTimeout``; no silence longer than
///   ``EdgeConfiguration/bodyTimeout`` while a body is received; the next head within
///   ``EdgeConfiguration/idleTimeout`` of a response. A connection past a deadline is closed; while the server
///   itself works on a request, no deadline runs. A WebSocket upgrade removes the guard (WebSockets ping instead).
/// - **Refusals**: a request the parser rejects, one for another HTTP version, a target over
///   ``EdgeConfiguration/maximumTargetLength`` or a host the server does not answer for is answered 400, 414, 421,
///   431 or 505 in the ACS error shape with `Connection: close`, and the connection is closed: after a parse error
///   the stream cannot be resynchronised.
/// - **Absolute-form targets** (`GET https://host/path`) naming an allowed host are rewritten to origin form with
///   that host as `Host` (RFC 9112 §3.2.2: the target's authority wins over the `Host` header).
final class RequestGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: EdgeConfiguration
    private let hosts: AllowedHosts
    private let events: EdgeEvents
    private var accepted = NIODeadline.uptimeNanoseconds(0)
    private var awaitingHandshake: Bool
    /// Between a request's head and its end.
    private var readingRequest = false
    private var lastRead = NIODeadline.uptimeNanoseconds(0)
    private var lastResponse = NIODeadline.uptimeNanoseconds(0)
    private var requests = 0
    private var responses = 0
    /// A response head was written and its end not yet.
    private var responding = false
    /// A refusal waiting for the response in progress to end.
    private var pendingRefusal: APIError?
    /// The connection is being refused: nothing more is read or forwarded.
    private var refused = false
    /// The request being read asks to switch protocols.
    private var upgradeRequested = false
    /// An upgrade request was read and not yet answered: the upgrade handler after the guard decides.
    private var upgrading = false
    /// A 101 was written: the guard leaves the pipeline at the next flush.
    private var leavesOnFlush = false
    /// The response being written says `Connection: close`.
    private var closesAfterResponse = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    init(limits: EdgeConfiguration, hosts: AllowedHosts, events: EdgeEvents, tls: Bool) {
        self.limits = limits
        self.hosts = hosts
        self.events = events
        self.awaitingHandshake = tls
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // Times come from the event loop (a test's loop has a clock of its own).
        accepted = context.eventLoop.now
        lastRead = accepted
        lastResponse = accepted
        arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        timerDeadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let tls = event as? TLSUserEvent, case .handshakeCompleted = tls {
            awaitingHandshake = false
            arm(context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if upgrading {
            // The upgrade handler decides; what arrives meanwhile may already be bytes of the new protocol (the
            // decoder hands over what it has not parsed when it is removed), so it passes untouched.
            context.fireChannelRead(data)
            return
        }
        guard !refused else {
            // Lingering after a response that closes the connection: the rest of a request nobody will read is
            // dropped, and its end closes the connection at once.
            if let answered = lingering, case .end = unwrapInboundIn(data) {
                let channel = context.channel
                answered.whenComplete { _ in channel.close(promise: nil) }
            }
            return
        }
        lastRead = context.eventLoop.now
        switch unwrapInboundIn(data) {
        case .head(var head):
            if let refusal = check(&head) {
                refuse(refusal.error, reason: refusal.reason, context: context)
                return
            }
            requests += 1
            readingRequest = true
            upgradeRequested =
                head.headers.contains(name: "upgrade")
                && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            arm(context)
            context.fireChannelRead(wrapInboundOut(.head(head)))
        case .body:
            context.fireChannelRead(data)
        case .end:
            readingRequest = false
            upgrading = upgradeRequested
            upgradeRequested = false
            arm(context)
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            responding = true
            closesAfterResponse = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "close" }
            upgrading = false
            // The connection now speaks WebSocket, which keeps itself alive with pings; the HTTP decoder in front
            // has been removed, so the guard leaves too, once the answer is flushed (it is written and flushed in
            // one call that still needs the guard's place in the pipeline).
            leavesOnFlush = head.status == .switchingProtocols
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            responding = false
            responses += 1
            lastResponse = context.eventLoop.now
            if let refusal = pendingRefusal {
                context.write(data, promise: promise)
                pendingRefusal = nil
                answer(refusal, context: context)
            } else if closesAfterResponse {
                closeAfter(data, promise: promise, context: context)
            } else {
                context.write(data, promise: promise)
                arm(context)
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        context.flush()
        if leavesOnFlush {
            leavesOnFlush = false
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        let refusal = Self.refusal(for: parserError)
        refuse(refusal, reason: "malformed", context: context)
    }

    // MARK: Checks

    struct Refusal {
        let error: APIError
        let reason: String
    }

    /// Checks a request's head, rewriting an absolute-form target to origin form; the refusal when it fails.
    func check(_ head: inout HTTPRequestHead) -> Refusal? {
        guard head.version.major == 1 else {
            return Refusal(
                error: APIError(
                    status: .init(code: 505), code: "HTTPVersionNotSupported", message: "Only HTTP/1.0 and HTTP/1.1 are served."),
                reason: "malformed")
        }
        guard head.uri.utf8.count <= EdgeConfiguration.maximumTargetLength else {
            return Refusal(
                error: APIError(
                    status: .init(code: 414), code: "UriTooLong",
                    message: "The request target is longer than \(EdgeConfiguration.maximumTargetLength) bytes."),
                reason: "malformed")
        }
        let hostHeaders = head.headers["host"]
        guard hostHeaders.count <= 1 else {
            return Refusal(error: .badRequest(code: "InvalidHost", "The request has more than one Host header."), reason: "malformed")
        }
        var authority = hostHeaders.first
        if !head.uri.hasPrefix("/") && head.uri != "*" {
            // Absolute form: the authority is the target's, whatever the Host header says.
            guard let components = URLComponents(string: head.uri), let scheme = components.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = components.percentEncodedHost, !host.isEmpty,
                components.user == nil, components.password == nil
            else {
                return Refusal(
                    error: .badRequest(code: "InvalidRequestTarget", "The request target is not a path or an absolute http(s) URL."),
                    reason: "malformed")
            }
            let targetAuthority = components.port.map { "\(host):\($0)" } ?? host
            var target = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            if let query = components.percentEncodedQuery { target += "?" + query }
            head.uri = target
            head.headers.replaceOrAdd(name: "host", value: targetAuthority)
            authority = targetAuthority
        }
        guard let authority else {
            guard head.version.minor >= 1 else { return nil }  // HTTP/1.0 may omit Host; links then use the configured host.
            return Refusal(error: .badRequest(code: "InvalidHost", "An HTTP/1.1 request needs a Host header."), reason: "malformed")
        }
        guard hosts.allows(authority: authority) else {
            return Refusal(
                error: APIError(
                    status: .init(code: 421), code: "MisdirectedRequest",
                    message: "This server does not answer for the host the request names. Use the endpoint of your connection string."),
                reason: "misdirected")
        }
        return nil
    }

    /// The answer to a request the parser rejected.
    static func refusal(for error: HTTPParserError) -> APIError {
        switch error {
        case .headerOverflow:
            APIError(
                status: .init(code: 431), code: "RequestHeaderFieldsTooLarge",
                message: "The request line or headers are larger than the server accepts.")
        case .invalidVersion:
            APIError(status: .init(code: 505), code: "HTTPVersionNotSupported", message: "Only HTTP/1.0 and HTTP/1.1 are served.")
        case .invalidContentLength, .unexpectedContentLength:
            .badRequest(code: "InvalidContentLength", "The request's Content-Length is invalid or conflicts with Transfer-Encoding.")
        case .invalidChunkSize:
            .badRequest(code: "InvalidRequestBody", "The request's chunked body is malformed.")
        case .unknown:
            .badRequest(code: "MalformedRequest", "The request is not valid HTTP/1.1.")
        default:
            .badRequest(code: "MalformedRequest", "The request is not valid HTTP/1.1 (\(error)).")
        }
    }

    // MARK: Refusing

    private func refuse(_ error: APIError, reason: String, context: ChannelHandlerContext) {
        guard !refused else { return }
        refused = true
        events.closed(reason: reason)
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        if responding {
            // A response is being written: the refusal follows it, then the connection closes.
            pendingRefusal = error
        } else {
            answer(error, context: context)
        }
    }

    /// Writes `error` in the ACS shape with `Connection: close`, then closes the connection.
    private func answer(_ error: APIError, context: ChannelHandlerContext) {
        let body = (try? JSONEncoder().encode(error.body)) ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json; charset=utf-8")
        headers.add(name: "content-length", value: String(body.count))
        headers.add(name: "connection", value: "close")
        headers.add(name: "x-ms-error-code", value: error.code)
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: Int(error.status.code)), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let channel = context.channel
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Set while the guard reads and drops the rest of a request after answering it with `Connection: close`: the
    /// answer's write.
    private var lingering: EventLoopFuture<Void>?

    /// How long the rest of an unread request body is read and dropped after a response that closes the
    /// connection: closing with unread data makes the kernel reset the connection, and a client still sending (a
    /// large body refused with 413) would lose the answer.
    static let lingerTime = TimeAmount.seconds(2)

    /// Writes a response's end and closes the connection once it is out; if the request is still arriving, reads and
    /// drops it for up to ``lingerTime`` first.
    private func closeAfter(_ end: NIOAny, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        refused = true
        timer?.cancel()
        timer = nil
        timerDeadline = nil
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.cascade(to: promise)
        context.writeAndFlush(end, promise: written)
        let channel = context.channel
        guard readingRequest else {
            written.futureResult.whenComplete { _ in channel.close(promise: nil) }
            return
        }
        lingering = written.futureResult
        context.eventLoop.scheduleTask(in: Self.lingerTime) { channel.close(promise: nil) }
    }

    // MARK: Deadlines

    /// The deadline that applies now and what passing it means, or `nil` while the server works on a request.
    private var deadline: (NIODeadline, String)? {
        if awaitingHandshake {
            // The handshake is part of the wait for the first request's head: whichever limit is shorter applies.
            let handshake = accepted + .nanoseconds(limits.tlsHandshakeTimeout.nanoseconds)
            let header = accepted + .nanoseconds(limits.headerTimeout.nanoseconds)
            return handshake <= header ? (handshake, "handshake_timeout") : (header, "header_timeout")
        }
        if readingRequest { return (lastRead + .nanoseconds(limits.bodyTimeout.nanoseconds), "body_timeout") }
        if requests > responses || responding { return nil }
        if requests == 0 { return (accepted + .nanoseconds(limits.headerTimeout.nanoseconds), "header_timeout") }
        return (lastResponse + .nanoseconds(limits.idleTimeout.nanoseconds), "idle_timeout")
    }

    /// Makes sure a timer fires no later than the current deadline. A timer set for an earlier deadline stays: when
    /// it fires it looks again (so a body's every read does not reschedule it).
    private func arm(_ context: ChannelHandlerContext) {
        guard !refused, let (deadline, _) = deadline else { return }
        if timer != nil, let scheduled = timerDeadline, scheduled <= deadline { return }
        timer?.cancel()
        timerDeadline = deadline
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            self.timer = nil
            self.timerDeadline = nil
            self.expire(context)
        }
    }

    private func expire(_ context: ChannelHandlerContext) {
        guard !refused, let (deadline, reason) = deadline else { return }
        if deadline > context.eventLoop.now {
            arm(context)
            return
        }
        refused = true
        events.closed(reason: reason)
        context.close(promise: nil)
    }
}
