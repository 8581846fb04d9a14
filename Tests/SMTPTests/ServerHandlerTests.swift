import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// `SMTPServerHandler` on an in-memory channel: replies to raw input as a client would send it,
/// pipelined, split or malformed.
@Suite(.timeLimit(.minutes(1)))
struct ServerHandlerTests {
    @Test func greetsAndAnswersPipelinedCommandsInOrder() async throws {
        let delegate = RecordingDelegate()
        let client = try await ScriptedClient(.test(), delegate: delegate)
        #expect(try await client.nextReply() == SMTPReply(code: 220, "mx.example.test ESMTP ready"))
        try await client.send(
            "EHLO c.example.test\r\nMAIL FROM:<s@example.org>\r\nRCPT TO:<a@example.test>\r\nRCPT TO:<reject@example.test>\r\n"
                + "RCPT TO:<later@example.test>\r\nDATA\r\nSubject: x\r\n\r\n..dot\r\n.\r\nQUIT\r\n")
        #expect(try await client.nextReply().lines.first == "mx.example.test")
        #expect(try await client.nextReply() == SMTPReply(code: 250, "2.1.0 Sender OK"))
        #expect(try await client.nextReply() == SMTPReply(code: 250, "2.0.0 Recipient OK"))
        #expect(try await client.nextReply() == SMTPReply(code: 550, "5.1.1 No such user"))
        #expect(try await client.nextReply() == SMTPReply(code: 450, "4.0.0 Mailbox busy"))
        #expect(try await client.nextCodes(3) == [354, 250, 221])
        let received = try #require(delegate.messages.first)
        #expect(received.content == "Subject: x\r\n\r\n.dot\r\n")
        #expect(received.envelope.reversePath == "s@example.org")
        #expect(received.envelope.recipients == ["a@example.test"])
        #expect(received.session.heloName == "c.example.test")
        #expect(received.session.remoteAddress?.port == 40000)
        try await client.channel.closeFuture.get()
    }

    @Test func readsAMessageThatArrivesInPieces() async throws {
        let delegate = RecordingDelegate()
        let client = try await ScriptedClient(.test(), delegate: delegate)
        _ = try await client.hello()
        try await client.send("MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n")
        #expect(try await client.nextCodes(3) == [250, 250, 354])
        for piece in ["line one\r", "\n.", ".two\r\n", ".", "\r", "\n"] { try await client.send(piece) }
        #expect(try await client.nextReply() == SMTPReply(code: 250, "2.0.0 Queued as 1"))
        #expect(delegate.messages.map(\.content) == ["line one\r\n.two\r\n"])
        // The transaction is over: a new one needs MAIL.
        try await client.send("RCPT TO:<a@example.test>\r\n")
        #expect(try await client.nextReply().code == 503)
    }

    @Test func answersAnOverlongLineAndReadsOn() async throws {
        let client = try await ScriptedClient(.test())
        _ = try await client.hello()
        try await client.send("NOOP " + String(repeating: "x", count: 600) + "\r\nNOOP\r\n")
        #expect(try await client.nextReply() == SMTPServerReplies.lineTooLong)
        #expect(try await client.nextReply().code == 250)
    }

    @Test func refusesAnOversizedMessageAfterReadingIt() async throws {
        let delegate = RecordingDelegate()
        let client = try await ScriptedClient(.test(maxMessageSize: 10), delegate: delegate)
        #expect(try await client.hello().lines.contains("SIZE 10"))
        try await client.send("MAIL FROM:<> SIZE=11\r\n")
        #expect(try await client.nextReply() == SMTPServerReplies.messageTooLarge)
        try await client.send("MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nDATA\r\n")
        #expect(try await client.nextCodes(3) == [250, 250, 354])
        try await client.send("0123456789abcdef\r\n.\r\nNOOP\r\n")
        #expect(try await client.nextCodes(2) == [552, 250])
        #expect(delegate.messages.isEmpty)
    }

    @Test func answers451WhenTheDelegateFails() async throws {
        let client = try await ScriptedClient(.test())
        _ = try await client.hello()
        try await client.send("MAIL FROM:<>\r\nRCPT TO:<a@example.test>\r\nDATA\r\nFAIL-STORAGE\r\n.\r\n")
        #expect(try await client.nextCodes(3) == [250, 250, 354])
        #expect(try await client.nextReply() == SMTPServerReplies.localError)
    }

    @Test func theDefaultDelegateAcceptsEverySenderAndRecipient() async throws {
        let client = try await ScriptedClient(.test(), delegate: DefaultDelegate())
        _ = try await client.hello()
        try await client.send("MAIL FROM:<a@example.test>\r\nRCPT TO:<reject@example.test>\r\n")
        #expect(try await client.nextReply() == SMTPReply(code: 250, "2.1.0 Sender OK"))
        #expect(try await client.nextReply() == SMTPReply(code: 250, "2.1.5 Recipient OK"))
    }

    @Test func closesAnIdleSessionWith421() async throws {
        let client = try await ScriptedClient(.test())
        _ = try await client.hello()
        await client.loop.advanceTime(by: .seconds(299))
        try await client.send("NOOP\r\n")
        #expect(try await client.nextReply().code == 250)
        await client.loop.advanceTime(by: .seconds(300))
        #expect(try await client.nextReply().code == 421)
        try await client.channel.closeFuture.get()
    }

    @Test func closesAfterTooManyErrors() async throws {
        let client = try await ScriptedClient(.test(maxErrors: 2))
        _ = try await client.hello()
        try await client.send("BOGUS\r\nBOGUS\r\nNOOP\r\n")
        #expect(try await client.nextCodes(2) == [502, 421])
        try await client.channel.closeFuture.get()
        #expect(try await !client.hasUnreadOutput())
    }

    @Test func authenticatesWithTheConfiguredAuthenticator() async throws {
        let client = try await ScriptedClient(
            .test(authenticator: testAuthenticator, requireAuthentication: true, allowInsecureAuthentication: true))
        #expect(try await client.hello().lines.contains("AUTH PLAIN LOGIN"))
        try await client.send("MAIL FROM:<a@example.test>\r\n")
        #expect(try await client.nextReply().code == 530)
        try await client.send("AUTH PLAIN AHVzZXIAd3Jvbmc=\r\n")
        #expect(try await client.nextReply() == SMTPServerReplies.authFailed)
        try await client.send("AUTH LOGIN\r\ndXNlcg==\r\nc2VjcmV0\r\nMAIL FROM:<a@example.test>\r\n")
        #expect(try await client.nextCodes(4) == [334, 334, 235, 250])
    }
}
