import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// The opening of a client session against scripted replies: STARTTLS as the TLS mode says, and
/// AUTH only where it is safe.
@Suite(.timeLimit(.minutes(1)))
struct ClientHandshakeTests {
    static let credentials = SMTPCredentials(username: "user", password: "secret")

    /// Greets and answers the first EHLO with `extensions`; returns the pending session.
    func greet(_ server: ScriptedServer, _ configuration: SMTPClientConfiguration, extensions: [String]) async throws -> Task<
        SMTPConnection, any Error
    > {
        let task = try await server.startClient(configuration)
        try await server.reply("220 mx.example.test ESMTP")
        try await server.expect("EHLO client.example.test")
        try await server.reply(["250-mx.example.test"] + extensions.map { "250-\($0)" } + ["250 8BITMIME"])
        return task
    }

    @Test func requiredSTARTTLSThatIsNotOfferedIsAnError() async throws {
        let server = try await ScriptedServer()
        let task = try await greet(server, .scripted(tls: .startTLS(required: true)), extensions: ["PIPELINING"])
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.startTLSRequiredButNotOffered) { try await task.value }
        #expect(!server.channel.isActive)
    }

    @Test func opportunisticSTARTTLSThatIsNotOfferedStaysInPlainText() async throws {
        let server = try await ScriptedServer()
        let task = try await greet(server, .scripted(tls: .startTLS(required: false)), extensions: ["PIPELINING"])
        let connection = try await task.value
        #expect(!connection.isTLS)
        #expect(try await !server.hasUnreadOutput())
    }

    @Test func refusedSTARTTLSIsAnErrorOnlyWhenRequired() async throws {
        let required = try await ScriptedServer()
        let failing = try await greet(required, .scripted(tls: .startTLS(required: true)), extensions: ["STARTTLS"])
        try await required.expect("STARTTLS")
        try await required.reply("454 4.7.0 TLS not available")
        try await required.expect("QUIT")
        try await required.reply("221 Bye")
        await #expect(throws: SMTPError.startTLSFailed(SMTPReply(code: 454, "4.7.0 TLS not available"))) { try await failing.value }

        let opportunistic = try await ScriptedServer()
        let going = try await greet(opportunistic, .scripted(tls: .startTLS(required: false)), extensions: ["STARTTLS"])
        try await opportunistic.expect("STARTTLS")
        try await opportunistic.reply("454 4.7.0 TLS not available")
        let connection = try await going.value
        #expect(!connection.isTLS)
        #expect(connection.capabilities.startTLS)
    }

    @Test func startsTheTLSHandshakeAfter220AndTimesItOut() async throws {
        let server = try await ScriptedServer()
        let task = try await greet(server, .scripted(tls: .startTLS(required: true)), extensions: ["STARTTLS"])
        try await server.expect("STARTTLS")
        try await server.reply("220 2.0.0 Ready to start TLS")
        // The next bytes are a TLS handshake record (content type 22), not SMTP.
        let hello = try await server.channel.waitForOutboundWrite(as: ByteBuffer.self)
        #expect(hello.getInteger(at: hello.readerIndex, as: UInt8.self) == 22)
        await server.loop.advanceTime(by: .seconds(300))
        await #expect(throws: SMTPError.timeout(stage: "TLS handshake")) { try await task.value }
    }

    @Test func refusesRepliesInjectedBehindThe220ToSTARTTLS() async throws {
        let server = try await ScriptedServer()
        let task = try await greet(server, .scripted(tls: .startTLS(required: true)), extensions: ["STARTTLS"])
        try await server.expect("STARTTLS")
        // RFC 3207 §5: a reply that arrived in plain text after the 220 must not be taken as the
        // answer to the EHLO sent over TLS.
        try await server.raw("220 2.0.0 Ready\r\n250 mx.example.test\r\n")
        await #expect(throws: SMTPError.malformedReply("data received after the STARTTLS reply")) { try await task.value }
        #expect(!server.channel.isActive)
    }

    @Test func neverAuthenticatesInPlainTextUnlessAllowed() async throws {
        let server = try await ScriptedServer()
        let task = try await greet(server, .scripted(credentials: Self.credentials), extensions: ["AUTH PLAIN LOGIN"])
        // QUIT, and no AUTH before it.
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.authenticationRequiresTLS) { try await task.value }
    }

    @Test func authenticatesWithPLAINAndAnInitialResponse() async throws {
        let server = try await ScriptedServer()
        let configuration = SMTPClientConfiguration.scripted(credentials: Self.credentials, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH LOGIN PLAIN"])
        try await server.expect("AUTH PLAIN AHVzZXIAc2VjcmV0")
        try await server.reply("235 2.7.0 Authentication successful")
        let connection = try await task.value
        #expect(connection.authenticatedUsername == "user")
    }

    @Test func authenticatesWithLOGINWhenPLAINIsNotOffered() async throws {
        let server = try await ScriptedServer()
        let configuration = SMTPClientConfiguration.scripted(credentials: Self.credentials, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH=LOGIN"])
        try await server.expect("AUTH LOGIN")
        try await server.reply("334 VXNlcm5hbWU6")
        try await server.expect("dXNlcg==")
        try await server.reply("334 UGFzc3dvcmQ6")
        try await server.expect("c2VjcmV0")
        try await server.reply("235 2.7.0 OK")
        #expect(try await task.value.authenticatedUsername == "user")
    }

    @Test func sendsALongPLAINResponseAfterTheChallenge() async throws {
        let server = try await ScriptedServer()
        let long = SMTPCredentials(username: "user", password: String(repeating: "p", count: 400))
        let configuration = SMTPClientConfiguration.scripted(credentials: long, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH PLAIN"])
        try await server.expect("AUTH PLAIN")
        try await server.reply("334 ")
        let response = try await server.nextLine()
        #expect(response.count > 480)
        #expect(response == Base64.encode(Array("\0user\0\(long.password)".utf8)))
        try await server.reply("235 OK")
        #expect(try await task.value.authenticatedUsername == "user")
    }

    @Test func refusedCredentialsAreAnError() async throws {
        let server = try await ScriptedServer()
        let configuration = SMTPClientConfiguration.scripted(credentials: Self.credentials, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH PLAIN"])
        try await server.expect("AUTH PLAIN AHVzZXIAc2VjcmV0")
        try await server.reply("535 5.7.8 Authentication credentials invalid")
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        let expected = SMTPReply(code: 535, "5.7.8 Authentication credentials invalid")
        await #expect(throws: SMTPError.authenticationFailed(expected)) { try await task.value }
        #expect(SMTPError.authenticationFailed(expected).reply?.enhancedStatus == SMTPEnhancedStatus(5, 7, 8))
    }

    @Test func cancelsAnExchangeWithMoreChallengesThanTheMechanismHas() async throws {
        let server = try await ScriptedServer()
        let configuration = SMTPClientConfiguration.scripted(credentials: Self.credentials, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH PLAIN"])
        try await server.expect("AUTH PLAIN AHVzZXIAc2VjcmV0")
        try await server.reply("334 more?")
        try await server.expect("*")
        try await server.reply("501 5.7.0 Cancelled")
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.authenticationFailed(SMTPReply(code: 501, "5.7.0 Cancelled"))) { try await task.value }
    }

    @Test func noKnownMechanismIsAnError() async throws {
        let server = try await ScriptedServer()
        let configuration = SMTPClientConfiguration.scripted(credentials: Self.credentials, allowInsecureAuthentication: true)
        let task = try await greet(server, configuration, extensions: ["AUTH CRAM-MD5 XOAUTH2"])
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.authenticationNotOffered) { try await task.value }
    }
}
