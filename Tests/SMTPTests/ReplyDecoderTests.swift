import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// `SMTPReplyDecoder` on an `EmbeddedChannel`: replies as a client reads them.
@Suite struct ReplyDecoderTests {
    /// Feeds `pieces` as separate reads and returns every reply decoded.
    func decode(_ pieces: [String], decoder: SMTPReplyDecoder = SMTPReplyDecoder()) throws -> [SMTPReply] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(decoder))
        defer { _ = try? channel.finish() }
        var replies: [SMTPReply] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(string: piece))
            while let reply = try channel.readInbound(as: SMTPReply.self) { replies.append(reply) }
        }
        return replies
    }

    @Test func decodesOneLineReplies() throws {
        #expect(
            try decode(["220 mx.example.test ESMTP\r\n250 OK\r\n"]) == [SMTPReply(code: 220, "mx.example.test ESMTP"), SMTPReply(code: 250, "OK")])
    }

    @Test func decodesAMultilineReplyIntoOne() throws {
        let replies = try decode(["250-mx.example.test greets you\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n"])
        #expect(replies == [SMTPReply(code: 250, lines: ["mx.example.test greets you", "PIPELINING", "SIZE 1000", "8BITMIME"])])
        let capabilities = SMTPServerCapabilities(ehloReply: replies[0])
        #expect(capabilities.pipelining && capabilities.eightBitMIME && capabilities.size == 1000)
        #expect(!capabilities.smtpUTF8)
    }

    @Test func readsEnhancedStatusCodes() throws {
        let replies = try decode(["550-5.1.1 <x@example.test>: Recipient address rejected\r\n550 5.1.1 User unknown\r\n", "250 2.1.5 Ok\r\n"])
        #expect(replies.map(\.enhancedStatus) == [SMTPEnhancedStatus(5, 1, 1), SMTPEnhancedStatus(2, 1, 5)])
        #expect(replies[0].isPermanentFailure && replies[1].isPositiveCompletion)
        #expect(try decode(["250 OK\r\n"])[0].enhancedStatus == nil)
        // Only a well-formed x.y.z with class 2, 4 or 5 counts.
        for text in ["6.1.1 x", "5.1 x", "5.1.1000 x", "5..1 x", "5.a.1 x"] {
            #expect(SMTPReply(code: 550, text).enhancedStatus == nil, "\(text)")
        }
    }

    @Test func joinsAReplySplitAcrossReads() throws {
        #expect(try decode(["2", "50-fir", "st\r", "\n250 last\r\n"]) == [SMTPReply(code: 250, lines: ["first", "last"])])
    }

    @Test func acceptsBareLFAndABareCode() throws {
        #expect(try decode(["250-one\n250\n"]) == [SMTPReply(code: 250, lines: ["one", ""])])
    }

    @Test(arguments: ["hello\r\n", "25\r\n", "2500 x\r\n", "250_x\r\n", "650 x\r\n", "190 x\r\n", "260 x\r\n"])
    func refusesMalformedLines(_ line: String) throws {
        #expect(throws: SMTPCodecError.self) { try decode([line]) }
    }

    @Test func refusesACodeChangeInsideAReply() throws {
        #expect(throws: SMTPCodecError.malformedReply("reply code changed from 250 to 251 within one reply")) {
            try decode(["250-one\r\n251 two\r\n"])
        }
    }

    @Test func boundsLineLengthAndLineCount() throws {
        let decoder = SMTPReplyDecoder(maximumLineLength: 64, maximumLines: 3)
        #expect(throws: SMTPCodecError.lineTooLong(limit: 64)) { try decode(["250 " + String(repeating: "x", count: 100)], decoder: decoder) }
        #expect(throws: SMTPCodecError.tooManyReplyLines(limit: 3)) { try decode(["250-a\r\n250-b\r\n250-c\r\n250 d\r\n"], decoder: decoder) }
        #expect(try decode(["250-a\r\n250-b\r\n250 c\r\n"], decoder: decoder).first?.lines.count == 3)
    }

    @Test func encodesRepliesTheWayTheyAreDecoded() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMTPReplyEncoder()))
        try channel.writeOutbound(SMTPReply(code: 250, lines: ["mx.example.test", "SIZE 10", "8BITMIME"]))
        try channel.writeOutbound(SMTPReply(code: 550, "bad\r\n250 smuggled"))
        try channel.writeOutbound(SMTPReply(code: 999, "out of range"))
        var wire = ""
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { wire += buffer.readString(length: buffer.readableBytes)! }
        #expect(wire == "250-mx.example.test\r\n250-SIZE 10\r\n250 8BITMIME\r\n550 bad 250 smuggled\r\n451 out of range\r\n")
        #expect(try decode([wire]).count == 3)
    }

    @Test func encodesCommandsAndHidesSecretsInDescriptions() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(SMTPCommandEncoder()))
        let sender = try SMTPMailbox("\"john doe\"@example.test")
        try channel.writeOutbound(SMTPCommand.mail(from: .mailbox(sender), parameters: ["SIZE=10"]))
        try channel.writeOutbound(SMTPCommand.rcpt(to: .postmaster, parameters: []))
        var buffer = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(buffer.readString(length: buffer.readableBytes) == "MAIL FROM:<\"john doe\"@example.test> SIZE=10\r\n")
        buffer = try #require(try channel.readOutbound(as: ByteBuffer.self))
        #expect(buffer.readString(length: buffer.readableBytes) == "RCPT TO:<Postmaster>\r\n")
        #expect(SMTPCommand.auth(mechanism: "PLAIN", initialResponse: "AHVzZXIAc2VjcmV0").description == "AUTH PLAIN <redacted>")
        #expect(SMTPCommand.authResponse("c2VjcmV0").description == "<redacted>")
        #expect(!"\(SMTPCredentials(username: "u", password: "hunter2"))".contains("hunter2"))
    }
}
