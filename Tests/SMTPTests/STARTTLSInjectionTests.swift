import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import SMTP

/// Commands a client pipelines behind STARTTLS arrive in plain text, where anyone on the path
/// could have put them; RFC 3207 §4.2 says the server must discard them (CVE-2011-0411). Checked
/// with a raw client that really upgrades, so the server's answers after the handshake are seen.
@Suite(.timeLimit(.minutes(1)))
struct STARTTLSInjectionTests {
    @Test func theServerDiscardsCommandsPipelinedBehindSTARTTLS() async throws {
        let certificates = try TestCertificates()
        let delegate = RecordingDelegate()
        let server = try await SMTPServer.start(
            configuration: .test(tlsConfiguration: certificates.serverTLS), delegate: delegate, logger: .test)
        let clientContext = try NIOSSLContext(configuration: try certificates.clientTLS())

        do {
            try await converse(port: server.port, clientContext: clientContext)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        #expect(delegate.senders.isEmpty)
    }

    func converse(port: Int, clientContext: NIOSSLContext) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var replies = ReplyStream(inbound.makeAsyncIterator())
            #expect(try await replies.next().code == 220)
            try await outbound.write(ByteBuffer(string: "EHLO c.example.test\r\n"))
            #expect(try await replies.next().code == 250)
            try await outbound.write(ByteBuffer(string: "STARTTLS\r\nMAIL FROM:<injected@example.test>\r\n"))
            #expect(try await replies.next().code == 220)
            let raw = channel.channel
            try await raw.eventLoop.submit {
                let tls = try NIOSSLClientHandler(context: clientContext, serverHostname: "localhost")
                try raw.pipeline.syncOperations.addHandler(tls, position: .first)
            }.get()
            // Over TLS: the first reply must answer this NOOP, not the injected MAIL.
            try await outbound.write(ByteBuffer(string: "NOOP\r\nMAIL FROM:<real@example.test>\r\n"))
            #expect(try await replies.next() == SMTPServerReplies.ok)
            // The session was reset by the upgrade: MAIL needs a new EHLO.
            #expect(try await replies.next().code == 503)
            try await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            #expect(try await replies.next().code == 221)
        }
    }
}

/// Replies parsed from a byte stream.
struct ReplyStream {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var parser = SMTPReplyParser()
    var buffer = ByteBuffer()

    init(_ iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator) {
        self.iterator = iterator
    }

    mutating func next() async throws -> SMTPReply {
        while true {
            if let reply = try parser.parse(&buffer) { return reply }
            guard var bytes = try await iterator.next() else { throw SMTPError.connectionClosed }
            buffer.writeBuffer(&bytes)
        }
    }
}
