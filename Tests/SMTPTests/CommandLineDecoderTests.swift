import NIOCore
import NIOEmbedded
import Testing

@testable import SMTP

/// `SMTPCommandLineDecoder` on an `EmbeddedChannel`, and the paths and mailboxes inside commands.
@Suite struct CommandLineDecoderTests {
    func decode(_ pieces: [String], maximumLineLength: Int = 512) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(SMTPCommandLineDecoder(maximumLineLength: maximumLineLength)))
        defer { _ = try? channel.finish() }
        var lines: [String] = []
        for piece in pieces {
            try channel.writeInbound(ByteBuffer(string: piece))
            while let line = try channel.readInbound(as: String.self) { lines.append(line) }
        }
        return lines
    }

    @Test func splitsPipelinedCommands() throws {
        #expect(
            try decode(["MAIL FROM:<a@example.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n"]) == [
                "MAIL FROM:<a@example.test>", "RCPT TO:<b@example.test>", "DATA",
            ])
    }

    @Test func joinsACommandSplitAcrossReads() throws {
        #expect(try decode(["EH", "LO client.example", ".test\r", "\nNOOP\r\n"]) == ["EHLO client.example.test", "NOOP"])
    }

    @Test func acceptsABareLFAsTheEndOfACommand() throws {
        #expect(try decode(["NOOP\nQUIT\r\n"]) == ["NOOP", "QUIT"])
    }

    @Test func keepsEmptyLinesAndUTF8() throws {
        #expect(try decode(["\r\nRCPT TO:<josé@exämple.test>\r\n"]) == ["", "RCPT TO:<josé@exämple.test>"])
    }

    @Test func refusesAnOverlongLine() throws {
        // 512 octets with CRLF is the limit (RFC 5321 §4.5.3.1.4).
        let fits = String(repeating: "x", count: 510)
        #expect(try decode([fits + "\r\n"]) == [fits])
        #expect(throws: SMTPCodecError.lineTooLong(limit: 512)) { try decode([fits + "xx\r\n"]) }
        #expect(throws: SMTPCodecError.lineTooLong(limit: 512)) { try decode([String(repeating: "y", count: 600)]) }
    }

    @Test func theServerParserSkipsAnOverlongLineAndReadsOn() {
        var parser = SMTPCommandLineParser(maximumLength: 16)
        var buffer = ByteBuffer(string: String(repeating: "z", count: 20))
        #expect(parser.next(&buffer) == nil)
        #expect(parser.isDiscarding)
        buffer.writeString("zzz\r\nNOOP\r\n")
        #expect(parser.next(&buffer) == .tooLong)
        #expect(parser.next(&buffer) == .line("NOOP"))
        #expect(parser.next(&buffer) == nil)
    }

    @Test func parsesPathsLiberallyWhereSafe() throws {
        let cases: [(String, SMTPPath, String)] = [
            ("<a@example.test>", .mailbox(try SMTPMailbox("a@example.test")), ""),
            (" <a@example.test> SIZE=10 BODY=8BITMIME", .mailbox(try SMTPMailbox("a@example.test")), "SIZE=10 BODY=8BITMIME"),
            ("<>", .null, ""),
            ("<postmaster>", .postmaster, ""),
            ("<@relay.example:a@example.test>", .mailbox(try SMTPMailbox("a@example.test")), ""),
            ("<\"a >b\"@example.test>", .mailbox(try SMTPMailbox(localPart: "a >b", domain: "example.test")), ""),
            ("<a@[192.0.2.1]>", .mailbox(try SMTPMailbox("a@[192.0.2.1]")), ""),
        ]
        for (text, path, parameters) in cases {
            let parsed = try #require(SMTPPath.parse(Substring(text)), "\(text)")
            #expect(parsed.path == path, "\(text)")
            #expect(parsed.parameters == Substring(parameters), "\(text)")
        }
    }

    @Test(arguments: [
        "a@example.test", "<a@example.test", "<a@example.test>junk", "<a@@>", "<a..b@example.test>", "<a@-bad-.test>",
        "<a\u{7}b@example.test>", "<@relay.example>", "<a@>", "<@example.test>",
    ])
    func refusesMalformedPaths(_ text: String) {
        #expect(SMTPPath.parse(Substring(text)) == nil)
    }

    @Test func quotesLocalPartsOnlyWhenNeeded() throws {
        #expect(try SMTPMailbox("first.last+tag@example.test").formatted == "first.last+tag@example.test")
        #expect(try SMTPMailbox("john doe@example.test").formatted == "\"john doe\"@example.test")
        #expect(try SMTPMailbox("\"a\\\"b\"@example.test").localPart == "a\"b")
        #expect(try SMTPMailbox(localPart: "a\"b", domain: "example.test").formatted == "\"a\\\"b\"@example.test")
        #expect(try SMTPMailbox("josé@exämple.test").requiresSMTPUTF8)
        #expect(throws: SMTPError.invalidAddress("a\u{0}b@example.test")) { try SMTPMailbox("a\u{0}b@example.test") }
        #expect(throws: SMTPError.invalidAddress("nobody")) { try SMTPMailbox("nobody") }
    }
}
