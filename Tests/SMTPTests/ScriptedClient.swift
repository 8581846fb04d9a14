import Logging
import NIOCore
import NIOEmbedded
import NIOSSL
import Testing

@testable import SMTP

/// The client half of an in-memory connection to one `SMTPServerHandler`: the test writes raw
/// command bytes and reads the replies the server wrote, parsed.
final class ScriptedClient {
    let channel: NIOAsyncTestingChannel
    private var parser = SMTPReplyParser()
    private var received = ByteBuffer()
    private let watchdog: Task<Void, Never>

    init(_ configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate = RecordingDelegate()) async throws {
        channel = NIOAsyncTestingChannel()
        watchdog = .closing(channel)
        let sslContext = try configuration.tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
        let channel = channel
        try await channel.testingEventLoop.executeInContext {
            let handler = SMTPServerHandler(configuration: configuration, delegate: delegate, sslContext: sslContext, logger: .test)
            try channel.pipeline.syncOperations.addHandler(handler)
        }
        try await channel.connect(to: SocketAddress(ipAddress: "192.0.2.7", port: 40000)).get()
    }

    deinit { watchdog.cancel() }

    var loop: NIOAsyncTestingEventLoop { channel.testingEventLoop }

    /// Writes `text` as one read on the server's side.
    func send(_ text: String) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// The next reply the server wrote; waits for it.
    func nextReply() async throws -> SMTPReply {
        while true {
            if let reply = try parser.parse(&received) { return reply }
            var buffer = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
            received.writeBuffer(&buffer)
        }
    }

    /// The codes of the next `count` replies.
    func nextCodes(_ count: Int) async throws -> [Int] {
        var codes: [Int] = []
        for _ in 0..<count { codes.append(try await nextReply().code) }
        return codes
    }

    /// Whether the server wrote anything not read yet.
    func hasUnreadOutput() async throws -> Bool {
        if received.readableBytes > 0 { return true }
        return try await channel.readOutbound(as: ByteBuffer.self) != nil
    }

    /// Reads the greeting and says EHLO; returns the EHLO reply.
    func hello() async throws -> SMTPReply {
        #expect(try await nextReply().code == 220)
        try await send("EHLO client.example.test\r\n")
        return try await nextReply()
    }
}

extension SMTPServerConfiguration {
    /// A plain-text server on loopback with an OS-chosen port.
    static func test(
        maxMessageSize: Int = 1 << 20, tlsConfiguration: TLSConfiguration? = nil, requireTLS: Bool = false,
        authenticator: (@Sendable (String, String) async -> Bool)? = nil, requireAuthentication: Bool = false,
        allowInsecureAuthentication: Bool = false, maxRecipients: Int = 100, maxErrors: Int = 10
    ) -> SMTPServerConfiguration {
        SMTPServerConfiguration(
            host: "127.0.0.1", port: 0, hostname: "mx.example.test", maxMessageSize: maxMessageSize, tlsConfiguration: tlsConfiguration,
            requireTLS: requireTLS, authenticator: authenticator, requireAuthentication: requireAuthentication,
            allowInsecureAuthentication: allowInsecureAuthentication, maxRecipients: maxRecipients, maxErrors: maxErrors)
    }
}

/// Accepts `user` with `secret`.
let testAuthenticator: @Sendable (String, String) async -> Bool = { $0 == "user" && $1 == "secret" }
