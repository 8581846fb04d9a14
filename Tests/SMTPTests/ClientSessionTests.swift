import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// The opening and closing of an `SMTPConnection` against scripted replies on an in-memory
/// channel: greeting, EHLO and its HELO fallback, reply parsing, timeouts and QUIT.
@Suite(.timeLimit(.minutes(1)))
struct ClientSessionTests {
    static let message = ByteBuffer(string: "Subject: hi\r\n\r\nHello\r\n")
    static let envelope = SMTPEnvelope(reversePath: "sender@example.org", recipients: ["a@example.test", "b@example.test"])

    @Test func opensWithEHLOAndReadsTheExtensions() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open(extensions: ["PIPELINING", "SIZE 10000", "ENHANCEDSTATUSCODES", "AUTH=PLAIN"])
        #expect(connection.remoteHostname == "mx.example.test")
        #expect(connection.greeting.code == 220)
        #expect(connection.capabilities.isExtended)
        #expect(connection.capabilities.pipelining)
        #expect(connection.capabilities.size == 10000)
        #expect(connection.capabilities.authMechanisms == ["PLAIN"])
        #expect(!connection.capabilities.startTLS)
        #expect(!connection.isTLS)
        #expect(connection.isOpen)
    }

    @Test(arguments: [500, 502]) func fallsBackToHELOWhenEHLOIsNotKnown(code: Int) async throws {
        let server = try await ScriptedServer()
        let task = try await server.startClient(.scripted())
        try await server.reply("220 old.example.test SMTP")
        try await server.expect("EHLO client.example.test")
        try await server.reply("\(code) Command not recognized")
        try await server.expect("HELO client.example.test")
        try await server.reply("250 old.example.test")
        let connection = try await task.value
        #expect(!connection.capabilities.isExtended)

        // No extensions: one command at a time and no MAIL parameters.
        async let sent = connection.send(Self.envelope, message: Self.message)
        try await server.expect("MAIL FROM:<sender@example.org>")
        #expect(try await !server.hasUnreadOutput())
        try await server.reply("250 OK")
        try await server.expect("RCPT TO:<a@example.test>")
        try await server.reply("250 OK")
        try await server.expect("RCPT TO:<b@example.test>")
        try await server.reply("250 OK")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        #expect(try await server.messageData() == ["Subject: hi", "", "Hello", "."])
        try await server.reply("250 Queued")
        let result = try await sent
        #expect(result.messageAccepted)
    }

    @Test func refusedEHLOOtherwiseIsAnError() async throws {
        let server = try await ScriptedServer()
        let task = try await server.startClient(.scripted())
        try await server.reply("220 mx.example.test")
        try await server.expect("EHLO client.example.test")
        try await server.reply("554 5.7.1 Go away")
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.unexpectedReply(stage: "EHLO", SMTPReply(code: 554, "5.7.1 Go away"))) { try await task.value }
    }

    @Test func rejectedGreetingIsAnErrorAndEndsWithQUIT() async throws {
        let server = try await ScriptedServer()
        let task = try await server.startClient(.scripted())
        try await server.reply("554 5.3.2 No service")
        try await server.expect("QUIT")
        try await server.reply("221 Bye")
        await #expect(throws: SMTPError.greetingRejected(SMTPReply(code: 554, "5.3.2 No service"))) { try await task.value }
    }

    @Test func greetingTimesOutAfterFiveMinutes() async throws {
        let server = try await ScriptedServer()
        let task = try await server.startClient(.scripted())
        await server.loop.advanceTime(by: .seconds(299))
        await server.loop.advanceTime(by: .seconds(1))
        await #expect(throws: SMTPError.timeout(stage: "greeting")) { try await task.value }
        #expect(!server.channel.isActive)
    }

    @Test func greetingJustInsideTheTimeoutIsAccepted() async throws {
        let server = try await ScriptedServer()
        let task = try await server.startClient(.scripted())
        await server.loop.advanceTime(by: .seconds(299))
        try await server.reply("220 slow.example.test")
        try await server.expect("EHLO client.example.test")
        try await server.reply("250 slow.example.test")
        #expect(try await task.value.remoteHostname == "slow.example.test")
    }

    @Test func aMalformedReplyClosesTheConnection() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        let noop = Task { try await connection.noop() }
        try await server.expect("NOOP")
        try await server.raw("25O OK\r\n")
        await #expect(throws: SMTPError.malformedReply("line does not start with a reply code")) { try await noop.value }
        #expect(!connection.isOpen)
    }

    @Test func aReplyIsReadAcrossSeveralReads() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let noop = connection.noop()
        try await server.expect("NOOP")
        for piece in ["25", "0-2.0.0 first\r", "\n250", " 2.0.0 second\r\n"] { try await server.raw(piece) }
        #expect(try await noop == SMTPReply(code: 250, lines: ["2.0.0 first", "2.0.0 second"]))
    }

    @Test func quitSaysQUITAndCloses() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let quit: Void = connection.quit()
        try await server.expect("QUIT")
        try await server.reply("221 2.0.0 Bye")
        await quit
        #expect(!connection.isOpen)
        await #expect(throws: SMTPError.connectionClosed) { try await connection.noop() }
    }
}
