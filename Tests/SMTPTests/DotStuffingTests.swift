import NIOCore
import Testing

@testable import SMTP

/// Dot-stuffing on the way out (`SMTPDotStuffing`) and un-stuffing on the way in
/// (`SMTPDataReader`), alone and as a round trip.
@Suite struct DotStuffingTests {
    func encode(_ text: String) -> String {
        String(buffer: SMTPDotStuffing.encode(ByteBuffer(string: text)))
    }

    /// Reads `pieces` as separate arrivals; returns the outcome and what was left unread.
    func read(_ pieces: [String], maximumSize: Int = 1 << 20) -> (outcome: SMTPDataReader.Outcome?, rest: String) {
        var reader = SMTPDataReader(maximumSize: maximumSize)
        var buffer = ByteBuffer()
        var outcome: SMTPDataReader.Outcome?
        for piece in pieces {
            buffer.writeString(piece)
            // Once the message has ended, later pieces are the commands that follow it.
            if outcome == nil { outcome = reader.read(&buffer) }
        }
        return (outcome, String(buffer: buffer))
    }

    func message(_ text: String) -> SMTPDataReader.Outcome { .complete(ByteBuffer(string: text)) }

    @Test func stuffsLinesThatStartWithADot() {
        #expect(encode(".\r\n..\r\n.x\r\nx.\r\n") == "..\r\n...\r\n..x\r\nx.\r\n.\r\n")
        #expect(encode(".") == "..\r\n.\r\n")
    }

    @Test func terminatesAndEndsTheLastLine() {
        #expect(encode("") == ".\r\n")
        #expect(encode("a") == "a\r\n.\r\n")
        #expect(encode("a\r\n") == "a\r\n.\r\n")
    }

    @Test func writesBareCRAndBareLFAsCRLF() {
        // Neither LF "." LF nor CR "." CR may reach the wire: a lenient server would end the data there.
        #expect(encode("a\n.\nb\r.\rc") == "a\r\n..\r\nb\r\n..\r\nc\r\n.\r\n")
        #expect(encode("a\r\r\nb") == "a\r\n\r\nb\r\n.\r\n")
    }

    @Test func countsTheSizeBeforeStuffingAndTheLongestLine() {
        let (data, size, longest) = SMTPDotStuffing.encodeCountingSize(ByteBuffer(string: ".a\r\nbcd"))
        #expect(String(buffer: data) == "..a\r\nbcd\r\n.\r\n")
        #expect(size == 9)
        #expect(longest == 3)
        #expect(SMTPDotStuffing.encodeCountingSize(ByteBuffer(string: String(repeating: "x", count: 998) + "\r\ny")).longestLine == 998)
        #expect(SMTPDotStuffing.encodeCountingSize(ByteBuffer(string: "y\n" + String(repeating: "x", count: 999))).longestLine == 999)
    }

    @Test func readsALoneDotAsAnEmptyMessage() {
        let (outcome, rest) = read([".\r\n"])
        #expect(outcome == message(""))
        #expect(rest == "")
    }

    @Test func unstuffsDoubledDots() {
        #expect(read(["..\r\n...\r\n..x\r\nx..\r\n.\r\n"]).outcome == message(".\r\n..\r\n.x\r\nx..\r\n"))
    }

    @Test func leavesWhatFollowsTheTerminatorUnread() {
        let (outcome, rest) = read(["Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n"])
        #expect(outcome == message("Subject: x\r\n\r\nbody\r\n"))
        #expect(rest == "QUIT\r\n")
    }

    @Test func findsTheTerminatorSplitAnywhere() {
        let data = "a\r\n..b\r\n.\r\nNOOP\r\n"
        for split in 1..<data.utf8.count {
            let bytes = Array(data.utf8)
            let pieces = [String(decoding: bytes[..<split], as: UTF8.self), String(decoding: bytes[split...], as: UTF8.self)]
            let (outcome, rest) = read(pieces)
            #expect(outcome == message("a\r\n.b\r\n"), "split at \(split)")
            #expect(rest == "NOOP\r\n", "split at \(split)")
        }
        // One octet at a time.
        let (outcome, rest) = read(data.map { String($0) }.flatMap { $0 == "\r\n" ? ["\r", "\n"] : [$0] })
        #expect(outcome == message("a\r\n.b\r\n"))
        #expect(rest == "NOOP\r\n")
    }

    @Test func doesNotEndOnBareLFVariantsOfTheTerminator() {
        // SMTP smuggling: only CRLF "." CRLF ends the data.
        for fake in ["a\n.\nMAIL FROM:<x@y>\r\n", "a\r\n.\nb\r\n", "a\n.\r\nb\r\n", "a\r.\r\nb\r\n"] {
            let (outcome, _) = read([fake])
            #expect(outcome == nil, "\(fake.debugDescription)")
            #expect(read([fake, ".\r\n"]).outcome != nil, "\(fake.debugDescription)")
        }
        #expect(read(["a\n.\nb\r\n.\r\n"]).outcome == message("a\n.\nb\r\n"))
    }

    @Test func discardsAMessageOverTheLimitUpToItsEnd() {
        let (outcome, rest) = read([String(repeating: "x", count: 50) + "\r\n", "more\r\n.\r\nRSET\r\n"], maximumSize: 40)
        #expect(outcome == .tooLarge)
        #expect(rest == "RSET\r\n")
        #expect(read(["1234\r\n.\r\n"], maximumSize: 6).outcome == message("1234\r\n"))
        #expect(read(["12345\r\n.\r\n"], maximumSize: 6).outcome == .tooLarge)
    }

    @Test func roundTripsArbitraryContent() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = Array(".\r\nab".utf8)
        for _ in 0..<300 {
            let bytes = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            let original = ByteBuffer(bytes: bytes)
            var wire = SMTPDotStuffing.encode(original)
            var reader = SMTPDataReader(maximumSize: 1000)
            guard case .complete(let received) = reader.read(&wire) else {
                Issue.record("no terminator for \(bytes)")
                continue
            }
            #expect(wire.readableBytes == 0)
            // What arrives is the original with every line ending made CRLF and a final CRLF.
            #expect(Array(buffer: received) == Self.normalised(bytes), "\(bytes)")
        }
    }

    /// `bytes` with CR LF, bare CR and bare LF all as CR LF, and a CR LF at the end unless empty.
    static func normalised(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 13 || byte == 10 {
                out += [13, 10]
                index += byte == 13 && index + 1 < bytes.count && bytes[index + 1] == 10 ? 2 : 1
            } else {
                out.append(byte)
                index += 1
            }
        }
        if !out.isEmpty && out.suffix(2) != [13, 10] { out += [13, 10] }
        return out
    }
}
