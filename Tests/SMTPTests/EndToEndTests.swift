import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing

@testable import SMTP

/// `SMTPConnection` against `SMTPServer` over loopback, on a port the system picks.
@Suite(.timeLimit(.minutes(1)))
struct EndToEndTests {
    static let message = "Subject: Test\r\n\r\n.A line with a dot\r\n.\r\n..\r\nbare\nLF\r\nlast line"

    /// Runs `body` against a started server and shuts the server down afterwards.
    func withServer(
        _ configuration: SMTPServerConfiguration = .test(), delegate: any SMTPServerDelegate = RecordingDelegate(),
        _ body: (SMTPServer) async throws -> Void
    ) async throws {
        let server = try await SMTPServer.start(configuration: configuration, delegate: delegate, logger: .test)
        do {
            try await body(server)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    func client(
        _ server: SMTPServer, tls: SMTPTLSMode = .none, tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        credentials: SMTPCredentials? = nil
    ) -> SMTPClientConfiguration {
        SMTPClientConfiguration(
            host: "127.0.0.1", port: server.port, tls: tls, tlsConfiguration: tlsConfiguration, serverName: "localhost",
            clientHostname: "client.example.test", credentials: credentials, timeouts: Self.timeouts)
    }

    /// Shorter than the RFC's minutes, so a broken test still fails within one; a passing test never waits for
    /// them. Not shorter: under the full suite's load on two cores (every suite in parallel, beside the
    /// conformance run) a loopback reply once took more than 10 seconds.
    static let timeouts = SMTPTimeouts(
        connect: .seconds(60), greeting: .seconds(60), mail: .seconds(60), rcpt: .seconds(60), dataInitiation: .seconds(60),
        dataBlock: .seconds(60), dataTermination: .seconds(60), command: .seconds(60))

    @Test func deliversInPlainText() async throws {
        let delegate = RecordingDelegate()
        try await withServer(delegate: delegate) { server in
            #expect(server.port != 0)
            let connection = try await SMTPConnection.connect(configuration: client(server), logger: .test)
            #expect(connection.remoteHostname == "mx.example.test")
            #expect(connection.capabilities.pipelining && connection.capabilities.enhancedStatusCodes)
            let envelope = SMTPEnvelope(reversePath: "sender@example.org", recipients: ["a@example.test", "reject@example.test", "b@example.test"])
            let result = try await connection.send(envelope, message: ByteBuffer(string: Self.message))
            #expect(result.mailFrom.enhancedStatus == SMTPEnhancedStatus(2, 1, 0))
            #expect(result.rejectedRecipients.map(\.address) == ["reject@example.test"])
            #expect(result.rejectedRecipients.first?.reply.enhancedStatus == SMTPEnhancedStatus(5, 1, 1))
            #expect(result.data == SMTPReply(code: 250, "2.0.0 Queued as 1"))
            await connection.quit()
            #expect(!connection.isOpen)
        }
        let received = try #require(delegate.messages.first)
        #expect(received.content == "Subject: Test\r\n\r\n.A line with a dot\r\n.\r\n..\r\nbare\r\nLF\r\nlast line\r\n")
        #expect(received.envelope.recipients == ["a@example.test", "b@example.test"])
        #expect(received.envelope.mailParameters == ["SIZE": "\(received.content.utf8.count)"])
        #expect(!received.session.isTLS)
    }

    @Test func upgradesWithSTARTTLSAndAuthenticatesWithPLAIN() async throws {
        let certificates = try TestCertificates()
        let delegate = RecordingDelegate()
        let configuration = SMTPServerConfiguration.test(
            tlsConfiguration: certificates.serverTLS, requireTLS: true, authenticator: testAuthenticator, requireAuthentication: true)
        try await withServer(configuration, delegate: delegate) { server in
            let connection = try await SMTPConnection.connect(
                configuration: client(
                    server, tls: .startTLS(required: true), tlsConfiguration: try certificates.clientTLS(),
                    credentials: SMTPCredentials(username: "user", password: "secret")),
                logger: .test)
            #expect(connection.isTLS)
            #expect(connection.authenticatedUsername == "user")
            #expect(connection.capabilities.authMechanisms == ["PLAIN", "LOGIN"])
            #expect(!connection.capabilities.startTLS)
            let envelope = SMTPEnvelope(reversePath: "sender@example.org", recipients: ["a@example.test"])
            let result = try await connection.send(envelope, message: ByteBuffer(string: "Subject: secret\r\n\r\nover TLS\r\n"))
            #expect(result.messageAccepted)
            await connection.quit()
        }
        let received = try #require(delegate.messages.first)
        #expect(received.session.isTLS)
        #expect(received.session.authenticatedUsername == "user")
        #expect(received.session.heloName == "client.example.test")
    }

    @Test func refusesWrongCredentialsOverTLS() async throws {
        let certificates = try TestCertificates()
        let configuration = SMTPServerConfiguration.test(tlsConfiguration: certificates.serverTLS, authenticator: testAuthenticator)
        try await withServer(configuration) { server in
            let error = await #expect(throws: SMTPError.self) {
                try await SMTPConnection.connect(
                    configuration: client(
                        server, tls: .startTLS(required: true), tlsConfiguration: try certificates.clientTLS(),
                        credentials: SMTPCredentials(username: "user", password: "wrong")),
                    logger: .test)
            }
            #expect(error?.reply?.code == 535)
        }
    }

    @Test func refusesACertificateItCannotVerify() async throws {
        let certificates = try TestCertificates()
        try await withServer(.test(tlsConfiguration: certificates.serverTLS)) { server in
            // The system's trust roots do not know the test CA.
            let error = await #expect(throws: SMTPError.self) {
                try await SMTPConnection.connect(configuration: client(server, tls: .startTLS(required: false)), logger: .test)
            }
            if case .tlsHandshakeFailed = error {} else { Issue.record("expected a handshake failure, got \(String(describing: error))") }
            // Nor a certificate for another name.
            var wrongName = client(server, tls: .startTLS(required: true), tlsConfiguration: try certificates.clientTLS())
            wrongName.serverName = "mx.other.test"
            let mismatch = await #expect(throws: SMTPError.self) { try await SMTPConnection.connect(configuration: wrongName, logger: .test) }
            if case .tlsHandshakeFailed = mismatch {} else { Issue.record("expected a handshake failure, got \(String(describing: mismatch))") }
        }
    }

    @Test func requiredSTARTTLSFailsAgainstAServerWithoutTLS() async throws {
        try await withServer { server in
            await #expect(throws: SMTPError.startTLSRequiredButNotOffered) {
                try await SMTPConnection.connect(configuration: client(server, tls: .startTLS(required: true)), logger: .test)
            }
        }
    }

    @Test func reusesAConnectionAcrossTransactions() async throws {
        let delegate = RecordingDelegate()
        try await withServer(delegate: delegate) { server in
            let connection = try await SMTPConnection.connect(configuration: client(server), logger: .test)
            let refused = try await connection.send(
                SMTPEnvelope(reversePath: "", recipients: ["reject@example.test", "later@example.test"]), message: ByteBuffer(string: "one"))
            #expect(refused.data == nil)
            #expect(refused.rejectedRecipients.map(\.reply.code) == [550, 450])
            let blocked = try await connection.send(
                SMTPEnvelope(reversePath: "blocked@example.org", recipients: ["a@example.test"]), message: ByteBuffer(string: "two"))
            #expect(blocked.mailFrom.code == 550)
            for index in 3...5 {
                let result = try await connection.send(
                    SMTPEnvelope(reversePath: "s@example.org", recipients: ["a@example.test"]), message: ByteBuffer(string: "message \(index)"))
                #expect(result.messageAccepted)
            }
            await connection.quit()
        }
        #expect(delegate.messages.map(\.content) == ["message 3\r\n", "message 4\r\n", "message 5\r\n"])
        #expect(delegate.senders == ["", "blocked@example.org", "s@example.org", "s@example.org", "s@example.org"])
    }

    @Test func declaresEightBitMIMEAndSMTPUTF8() async throws {
        let delegate = RecordingDelegate()
        try await withServer(delegate: delegate) { server in
            let connection = try await SMTPConnection.connect(configuration: client(server), logger: .test)
            let envelope = SMTPEnvelope(reversePath: "josé@exämple.test", recipients: ["ünï@example.test"], bodyType: .eightBitMIME)
            let result = try await connection.send(envelope, message: ByteBuffer(string: "Subject: Grüße\r\n\r\nÄÖÜ\r\n"))
            #expect(result.messageAccepted)
            await connection.quit()
        }
        let received = try #require(delegate.messages.first)
        #expect(received.envelope.reversePath == "josé@exämple.test")
        #expect(received.envelope.recipients == ["ünï@example.test"])
        #expect(received.envelope.mailParameters["BODY"] == "8BITMIME")
        #expect(received.envelope.mailParameters["SMTPUTF8"] == "")
        #expect(received.content == "Subject: Grüße\r\n\r\nÄÖÜ\r\n")
    }

    @Test func carriesALargeMessageInBlocksOverTLS() async throws {
        let certificates = try TestCertificates()
        let delegate = RecordingDelegate()
        var body = ""
        for index in 0..<6000 { body += (index % 7 == 0 ? "." : "") + "line \(index) " + String(repeating: "z", count: 60) + "\r\n" }
        try await withServer(.test(maxMessageSize: 1 << 20, tlsConfiguration: certificates.serverTLS), delegate: delegate) { server in
            let connection = try await SMTPConnection.connect(
                configuration: client(server, tls: .startTLS(required: true), tlsConfiguration: try certificates.clientTLS()), logger: .test)
            let result = try await connection.send(
                SMTPEnvelope(reversePath: "", recipients: ["a@example.test"]), message: ByteBuffer(string: body))
            #expect(result.messageAccepted)
            await connection.quit()
        }
        #expect(body.utf8.count > 3 * 64 * 1024)
        #expect(delegate.messages.first?.content == body)
    }

    @Test func theServersSizeLimitIsCheckedBeforeSending() async throws {
        let delegate = RecordingDelegate()
        try await withServer(.test(maxMessageSize: 100), delegate: delegate) { server in
            let connection = try await SMTPConnection.connect(configuration: client(server), logger: .test)
            #expect(connection.capabilities.size == 100)
            await #expect(throws: SMTPError.messageTooLarge(limit: 100)) {
                try await connection.send(
                    SMTPEnvelope(reversePath: "", recipients: ["a@example.test"]), message: ByteBuffer(string: String(repeating: "x", count: 200)))
            }
            #expect(connection.isOpen)
            await connection.quit()
        }
        #expect(delegate.senders.isEmpty)
    }

    @Test func implicitTLSFromTheFirstByte() async throws {
        let certificates = try TestCertificates()
        let delegate = RecordingDelegate()
        let sslContext = try NIOSSLContext(configuration: certificates.serverTLS)
        // SMTPServer speaks STARTTLS only; a TLS handler in front of its session handler makes a
        // port-465 style server.
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    try channel.pipeline.syncOperations.addHandler(
                        SMTPServerHandler(configuration: .test(), delegate: delegate, sslContext: nil, logger: .test))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let connection = try await SMTPConnection.connect(
            configuration: SMTPClientConfiguration(
                host: "127.0.0.1", port: port, tls: .implicit, tlsConfiguration: try certificates.clientTLS(), serverName: "localhost",
                clientHostname: "client.example.test", timeouts: Self.timeouts),
            logger: .test)
        #expect(connection.isTLS)
        let result = try await connection.send(SMTPEnvelope(reversePath: "", recipients: ["a@example.test"]), message: ByteBuffer(string: "hi"))
        #expect(result.messageAccepted)
        await connection.quit()
        try await listener.close()
        #expect(delegate.messages.first?.session.isTLS == true)
    }

    @Test func aClosedPortIsAConnectionFailure() async throws {
        var port = 0
        try await withServer { server in port = server.port }
        let configuration = SMTPClientConfiguration(
            host: "127.0.0.1", port: port, tls: .none, clientHostname: "client.example.test", timeouts: Self.timeouts)
        let error = await #expect(throws: SMTPError.self) { try await SMTPConnection.connect(configuration: configuration, logger: .test) }
        if case .connectionFailed = error {} else { Issue.record("expected a connection failure, got \(String(describing: error))") }
    }

    @Test func shutdownClosesOpenSessions() async throws {
        let server = try await SMTPServer.start(configuration: .test(), delegate: RecordingDelegate(), logger: .test)
        let connection = try await SMTPConnection.connect(
            configuration: SMTPClientConfiguration(
                host: "127.0.0.1", port: server.port, tls: .none, clientHostname: "c.example.test", timeouts: Self.timeouts),
            logger: .test)
        await server.shutdown()
        await #expect(throws: SMTPError.self) { try await connection.noop() }
        #expect(!connection.isOpen)
    }
}
