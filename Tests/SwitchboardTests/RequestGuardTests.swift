import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOTLS
import Prometheus
import Synchronization
import Testing

@testable import Switchboard

/// The edge's guard on a connection, on an embedded channel whose clock the test moves: every deadline, every
/// refusal, the absolute-form rewrite. (The conformance suite tries the same from outside, over real sockets.)
@Suite struct RequestGuardTests {
    /// Stands in for Hummingbird: records each request head and answers each request when it ends (unless holding).
    final class Responder: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        var heads: [HTTPRequestHead] = []
        var holding = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head): heads.append(head)
            case .body: break
            case .end:
                guard !holding else { return }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }

    struct Connection {
        let channel: EmbeddedChannel
        let responder: Responder

        func send(_ text: String) throws {
            try channel.writeInbound(ByteBuffer(string: text))
        }

        func advance(seconds: Int64) {
            channel.embeddedEventLoop.advanceTime(by: .seconds(seconds))
        }

        /// Everything written to the client so far.
        func written() throws -> String {
            var text = ""
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
            return text
        }

        var isOpen: Bool { channel.isActive }
    }

    func connect(tls: Bool = false, limits: EdgeConfiguration = .init(), hosts: AllowedHosts = AllowedHosts(names: ["localhost"]))
        throws -> Connection
    {
        let channel = EmbeddedChannel()
        let responder = Responder()
        let events = EdgeEvents(registry: PrometheusCollectorRegistry())
        try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
        try channel.pipeline.syncOperations.addHandler(RequestGuard(limits: limits, hosts: hosts, events: events, tls: tls))
        try channel.pipeline.syncOperations.addHandler(responder)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return Connection(channel: channel, responder: responder)
    }

    @Test func aSilentConnectionIsClosedAtTheHeaderTimeout() throws {
        let connection = try connect()
        connection.advance(seconds: 19)
        #expect(connection.isOpen)
        connection.advance(seconds: 1)
        #expect(!connection.isOpen)
    }

    @Test func aTrickledHeadIsClosedAtTheHeaderTimeoutHoweverSlowlyItComes() throws {
        let connection = try connect()
        for piece in ["GET /-/healthz HTTP/1.1\r\n", "Host: local", "host\r\n", "X-A: 1\r\n"] {
            try connection.send(piece)
            connection.advance(seconds: 6)
        }
        #expect(!connection.isOpen)
        #expect(connection.responder.heads.isEmpty)
    }

    @Test func theHandshakeHasItsOwnShorterLimitAndCountsTowardsTheHead() throws {
        let silent = try connect(tls: true)
        silent.advance(seconds: 10)
        #expect(!silent.isOpen)

        let shaken = try connect(tls: true)
        shaken.advance(seconds: 9)
        shaken.channel.pipeline.fireUserInboundEventTriggered(TLSUserEvent.handshakeCompleted(negotiatedProtocol: nil))
        shaken.advance(seconds: 10)
        #expect(shaken.isOpen)
        shaken.advance(seconds: 1)
        #expect(!shaken.isOpen, "20 s from the connection, not from the handshake")
    }

    @Test func aKeptAliveConnectionIsClosedAfterTheIdleTimeout() throws {
        var limits = EdgeConfiguration()
        limits.idleTimeout = .seconds(5)
        let connection = try connect(limits: limits)
        try connection.send("GET /-/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        #expect(try connection.written().hasPrefix("HTTP/1.1 200 OK"))
        connection.advance(seconds: 4)
        try connection.send("GET /-/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        connection.advance(seconds: 4)
        #expect(connection.isOpen, "the idle time restarts with each response")
        connection.advance(seconds: 1)
        #expect(!connection.isOpen)
        #expect(connection.responder.heads.count == 2)
    }

    @Test func aStalledBodyIsClosedAtTheBodyTimeoutButAMovingOneIsNot() throws {
        let connection = try connect()
        try connection.send("POST /dev/identities HTTP/1.1\r\nHost: localhost\r\nContent-Length: 30\r\n\r\n0123456789")
        connection.advance(seconds: 29)
        try connection.send("0123456789")
        connection.advance(seconds: 29)
        #expect(connection.isOpen)
        connection.advance(seconds: 1)
        #expect(!connection.isOpen)
    }

    @Test func noDeadlineRunsWhileTheServerWorksOnARequest() throws {
        let connection = try connect()
        connection.responder.holding = true
        try connection.send("GET /-/healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        connection.advance(seconds: 3600)
        #expect(connection.isOpen)
    }

    @Test(arguments: [
        ("GET /-/healthz HTTP/9.9\r\nHost: localhost\r\n\r\n", "505", "HTTPVersionNotSupported"),
        ("GET /-/healthz HTTP/1.1\r\nHost: localhost\r\nX-A: a\u{0}b\r\n\r\n", "400", "MalformedRequest"),
        ("POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n", "400", "InvalidContentLength"),
        ("GET /x HTTP/1.1\r\n\r\n", "400", "InvalidHost"),
        ("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "400", "InvalidHost"),
        ("GET /x HTTP/1.1\r\nHost: evil.example\r\n\r\n", "421", "MisdirectedRequest"),
        ("GET https://evil.example/x HTTP/1.1\r\nHost: localhost\r\n\r\n", "421", "MisdirectedRequest"),
        ("GET /\(String(repeating: "a", count: 17_000)) HTTP/1.1\r\nHost: localhost\r\n\r\n", "414", "UriTooLong"),
        ("GET /x HTTP/1.1\r\nHost: localhost\r\nX-A: \(String(repeating: "a", count: 90_000))\r\n\r\n", "431", "RequestHeaderFieldsTooLarge"),
    ])
    func everyRefusedRequestIsAnsweredInTheACSShapeThenClosed(request: String, status: String, code: String) throws {
        let connection = try connect()
        do {
            try connection.send(request)
        } catch {
            // The decoder's error also travels to the end of the pipeline's inbound side after the guard handled it
            // in some NIO versions; what matters is what the client got.
        }
        let answer = try connection.written()
        #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "\(answer.prefix(80))")
        #expect(answer.lowercased().contains("connection: close"))
        let body = try #require(answer.components(separatedBy: "\r\n\r\n").last)
        let error = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]])
        #expect(error["error"]?["code"] == code)
        #expect(!connection.isOpen)
        #expect(connection.responder.heads.isEmpty, "nothing of a refused request reaches the server")
    }

    @Test func anAbsoluteFormTargetForAnAllowedHostIsServedInOriginForm() throws {
        let connection = try connect()
        try connection.send("GET https://LOCALHOST:8443/dev/chat/threads?maxPageSize=1 HTTP/1.1\r\nHost: evil.example\r\n\r\n")
        #expect(try connection.written().hasPrefix("HTTP/1.1 200 OK"))
        let head = try #require(connection.responder.heads.first)
        #expect(head.uri == "/dev/chat/threads?maxPageSize=1")
        #expect(head.headers["host"] == ["LOCALHOST:8443"])
    }

    @Test func allowedHostsCompareNamesWithoutPortsCaseOrTrailingDots() {
        let hosts = AllowedHosts(names: ["localhost", "127.0.0.1", "::1", "Switchboard.Example."], wildcardSuffixes: ["*.corp.example"])
        for allowed in ["localhost", "LOCALHOST:8443", "127.0.0.1:1", "[::1]:8443", "[0:0::1]", "switchboard.example:443", "a.corp.example"] {
            #expect(hosts.allows(authority: allowed), "\(allowed)")
        }
        for refused in [
            "evil.example", "localhost.evil.example", "a.b.corp.example", "corp.example", "user@localhost", "localhost:x", "[::1", "", "::1",
        ] {
            #expect(!hosts.allows(authority: refused), "\(refused)")
        }
    }
}

import NIOWebSocket

extension RequestGuardTests {
    @Test func aWebSocketUpgradeRemovesTheGuard() throws {
        let channel = EmbeddedChannel()
        let upgrader = NIOTypedWebSocketServerUpgrader<Bool>(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture([:]) },
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeSucceededFuture(true) })
        let configuration = NIOUpgradableHTTPServerPipelineConfiguration<Bool>(
            upgradeConfiguration: .init(upgraders: [upgrader], notUpgradingCompletionHandler: { $0.eventLoop.makeSucceededFuture(false) }))
        let result = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: configuration)
        let decoder = try channel.pipeline.syncOperations.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
        let events = EdgeEvents(registry: PrometheusCollectorRegistry())
        try channel.pipeline.syncOperations.addHandler(
            RequestGuard(limits: .init(), hosts: AllowedHosts(names: ["localhost"]), events: events, tls: false),
            position: .after(decoder.handler))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try channel.writeInbound(
            ByteBuffer(
                string:
                    "GET /-/realtime/dev HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                    // A client that does not wait for the 101: the decoder hands these bytes on when it leaves.
                    + "\u{81}\u{80}\u{0}\u{0}\u{0}\u{0}"
            ))
        channel.embeddedEventLoop.run()
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        #expect(text.hasPrefix("HTTP/1.1 101"), "\(text)")
        let upgraded = Mutex<Bool?>(nil)
        result.whenSuccess { value in upgraded.withLock { $0 = value } }
        channel.embeddedEventLoop.run()
        #expect(upgraded.withLock { $0 } == true)
        #expect((try? channel.pipeline.syncOperations.context(handlerType: RequestGuard.self)) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(3600))
        #expect(channel.isActive)
    }
}
