import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// Mail transactions of an `SMTPConnection` against scripted replies on an in-memory channel:
/// the order and content of what the client writes, how it reads each reply, and when it stops.
@Suite(.timeLimit(.minutes(1)))
struct ClientTransactionTests {
    static let message = ByteBuffer(string: "Subject: hi\r\n\r\nHello\r\n")
    static let envelope = SMTPEnvelope(reversePath: "sender@example.org", recipients: ["a@example.test", "b@example.test"])

    @Test func pipelinesMAILAndRCPTThenSendsDATA() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        // All three commands arrive before any reply: one flush.
        #expect(
            try await server.nextLines(3) == [
                "MAIL FROM:<sender@example.org> SIZE=22", "RCPT TO:<a@example.test>", "RCPT TO:<b@example.test>",
            ])
        #expect(try await !server.hasUnreadOutput())
        try await server.reply("250 2.1.0 OK", "250 2.1.5 OK", "550-5.1.1 No such user", "550 5.1.1 Try another")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        #expect(try await server.messageData() == ["Subject: hi", "", "Hello", "."])
        try await server.reply("250 2.0.0 Queued as 42")
        let result = try await sent
        #expect(result.mailFrom.code == 250)
        #expect(result.acceptedRecipients.map(\.address) == ["a@example.test"])
        #expect(result.rejectedRecipients.map(\.address) == ["b@example.test"])
        let refusal = try #require(result.rejectedRecipients.first?.reply)
        #expect(refusal.code == 550)
        #expect(refusal.lines == ["5.1.1 No such user", "5.1.1 Try another"])
        #expect(refusal.enhancedStatus == SMTPEnhancedStatus(5, 1, 1))
        #expect(result.data == SMTPReply(code: 250, "2.0.0 Queued as 42"))
        #expect(result.messageAccepted)
    }

    @Test func sendsNoDATAWhenEveryRecipientIsRefused() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        _ = try await server.nextLines(3)
        try await server.reply("250 OK", "550 5.1.1 No", "450 4.2.1 Later")
        let result = try await sent
        #expect(result.data == nil)
        #expect(result.rejectedRecipients.count == 2)
        #expect(result.rejectedRecipients[1].reply.isTransientFailure)
        #expect(!result.messageAccepted)
        #expect(try await !server.hasUnreadOutput())

        // The next transaction on this connection starts with RSET, pipelined with MAIL and RCPT.
        async let second = connection.send(
            SMTPEnvelope(reversePath: "", recipients: ["c@example.test"]), message: Self.message)
        #expect(try await server.nextLines(3) == ["RSET", "MAIL FROM:<> SIZE=22", "RCPT TO:<c@example.test>"])
        try await server.reply("250 OK", "250 OK", "250 OK")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        _ = try await server.messageData()
        try await server.reply("250 OK")
        #expect(try await second.messageAccepted)
    }

    @Test func waitsForEachReplyWithoutPipelining() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open(extensions: ["8BITMIME"])
        async let sent = connection.send(Self.envelope, message: Self.message)
        try await server.expect("MAIL FROM:<sender@example.org>")
        #expect(try await !server.hasUnreadOutput())
        try await server.reply("250 OK")
        try await server.expect("RCPT TO:<a@example.test>")
        #expect(try await !server.hasUnreadOutput())
        try await server.reply("550 No")
        try await server.expect("RCPT TO:<b@example.test>")
        try await server.reply("550 No")
        // Every recipient refused: no DATA.
        let result = try await sent
        #expect(result.data == nil)
        #expect(try await !server.hasUnreadOutput())

        async let second = connection.send(Self.envelope, message: Self.message)
        try await server.expect("RSET")
        #expect(try await !server.hasUnreadOutput())
        try await server.reply("250 OK")
        try await server.expect("MAIL FROM:<sender@example.org>")
        try await server.reply("451 4.3.0 Try later")
        let refused = try await second
        #expect(refused.mailFrom.code == 451)
        #expect(refused.recipients.map(\.reply.code) == [451, 451])
        #expect(refused.data == nil)
        #expect(try await !server.hasUnreadOutput())
    }

    @Test(arguments: [451, 550]) func refusedMAILIsReportedForEveryRecipient(code: Int) async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        _ = try await server.nextLines(3)
        try await server.reply("\(code) Sender refused", "503 Need MAIL", "503 Need MAIL")
        let result = try await sent
        #expect(result.mailFrom.code == code)
        #expect(result.recipients.map(\.reply.code) == [code, code])
        #expect(result.data == nil)
        #expect(try await !server.hasUnreadOutput())
        #expect(connection.isOpen)
    }

    @Test(arguments: [451, 554]) func refusedDATAIsTheMessageVerdict(code: Int) async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        _ = try await server.nextLines(3)
        try await server.reply("250 OK", "250 OK", "250 OK")
        try await server.expect("DATA")
        try await server.reply("\(code) No data now")
        let result = try await sent
        #expect(result.data?.code == code)
        #expect(result.acceptedRecipients.count == 2)
        #expect(!result.messageAccepted)
        #expect(try await !server.hasUnreadOutput())
    }

    @Test(arguments: [452, 552]) func refusedMessageAfterTheDataIsReported(code: Int) async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        _ = try await server.nextLines(3)
        try await server.reply("250 OK", "250 OK", "250 OK")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        _ = try await server.messageData()
        try await server.reply("\(code) Refused")
        let result = try await sent
        #expect(result.data?.code == code)
        #expect(!result.messageAccepted)
        #expect(connection.isOpen)
    }

    @Test func a421ClosingReplyAnswersTheRestOfTheGroup() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        async let sent = connection.send(Self.envelope, message: Self.message)
        _ = try await server.nextLines(3)
        try await server.reply("250 OK", "421 4.3.2 Shutting down")
        try await server.channel.close()
        let result = try await sent
        #expect(result.recipients.map(\.reply.code) == [421, 421])
        #expect(result.data == nil)
        #expect(!connection.isOpen)
    }

    @Test func dotStuffsAndNormalisesLineEndings() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        let message = ByteBuffer(string: ".starts with a dot\r\n.\r\nbare\nlf\n..two\r\nno final newline")
        async let sent = connection.send(SMTPEnvelope(reversePath: "", recipients: ["a@example.test"]), message: message)
        _ = try await server.nextLines(2)
        try await server.reply("250 OK", "250 OK")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        #expect(
            try await server.messageData() == ["..starts with a dot", "..", "bare", "lf", "...two", "no final newline", "."])
        try await server.reply("250 OK")
        #expect(try await sent.messageAccepted)
    }

    @Test func declaresEightBitMIMEAndSMTPUTF8OnlyWhenNeeded() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        let envelope = SMTPEnvelope(reversePath: "sender@example.org", recipients: ["josé@exämple.test"], bodyType: .eightBitMIME)
        async let sent = connection.send(envelope, message: ByteBuffer(string: "Hé\r\n"))
        #expect(
            try await server.nextLines(2) == ["MAIL FROM:<sender@example.org> SIZE=5 BODY=8BITMIME SMTPUTF8", "RCPT TO:<josé@exämple.test>"])
        try await server.reply("250 OK", "550 No")
        #expect(try await sent.data == nil)
    }

    @Test func refusesWhatTheServerDoesNotOfferBeforeSendingAnything() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open(extensions: ["SIZE 2000"])
        await #expect(throws: SMTPError.eightBitMIMENotSupported) {
            try await connection.send(
                SMTPEnvelope(reversePath: "", recipients: ["a@example.test"], bodyType: .eightBitMIME), message: Self.message)
        }
        await #expect(throws: SMTPError.smtpUTF8NotSupported) {
            try await connection.send(SMTPEnvelope(reversePath: "", recipients: ["ü@example.test"]), message: Self.message)
        }
        await #expect(throws: SMTPError.messageTooLarge(limit: 2000)) {
            try await connection.send(Self.envelope, message: ByteBuffer(string: String(repeating: "x\r\n", count: 700)))
        }
        await #expect(throws: SMTPError.lineTooLong(limit: 998)) {
            try await connection.send(Self.envelope, message: ByteBuffer(string: "Subject: x\r\n\r\n" + String(repeating: "y", count: 999)))
        }
        await #expect(throws: SMTPError.invalidAddress("no at sign")) {
            try await connection.send(SMTPEnvelope(reversePath: "", recipients: ["no at sign"]), message: Self.message)
        }
        #expect(try await !server.hasUnreadOutput())
        // None of them started a transaction: the next one needs no RSET.
        async let sent = connection.send(Self.envelope, message: ByteBuffer(string: "x"))
        try await server.expect("MAIL FROM:<sender@example.org> SIZE=3")
        try await server.reply("550 No")
        #expect(try await sent.mailFrom.code == 550)
    }

    @Test func aReplyTimeoutClosesTheConnection() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        let sent = Task { try await connection.send(Self.envelope, message: Self.message) }
        _ = try await server.nextLines(3)
        await server.loop.advanceTime(by: .seconds(300))
        await #expect(throws: SMTPError.timeout(stage: "MAIL")) { try await sent.value }
        #expect(!connection.isOpen)
    }

    @Test func theFinalReplyHasTenMinutes() async throws {
        let server = try await ScriptedServer()
        let connection = try await server.open()
        let sent = Task { try await connection.send(Self.envelope, message: Self.message) }
        _ = try await server.nextLines(3)
        try await server.reply("250 OK", "250 OK", "250 OK")
        try await server.expect("DATA")
        try await server.reply("354 Go ahead")
        _ = try await server.messageData()
        await server.loop.advanceTime(by: .seconds(599))
        #expect(connection.isOpen)
        await server.loop.advanceTime(by: .seconds(1))
        await #expect(throws: SMTPError.timeout(stage: "DATA termination")) { try await sent.value }
    }
}
