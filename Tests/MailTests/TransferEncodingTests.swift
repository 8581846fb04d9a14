import Foundation
import Mail
import Testing

@Suite("Content transfer encodings (RFC 2045 §6.7, §6.8)")
struct TransferEncodingTests {
    static let texts: [String] = [
        "",
        "short line\r\n",
        String(repeating: "0123456789", count: 30) + "\r\n",
        String(repeating: "é", count: 100),
        String(repeating: "a=b ", count: 50) + "\r\nsecond line\r\n",
        "trailing space \r\ntrailing tab\t\r\n",
        String(repeating: "x", count: 74) + "=\r\n" + String(repeating: "y", count: 75) + "é\r\n",
        "no final line end",
        "\t\u{1}\u{7F} controls \u{0}",
        String(repeating: "Grüße, 世界! ", count: 30),
    ]

    @Test(arguments: texts)
    func quotedPrintableKeepsLinesShortAndRoundTrips(_ text: String) {
        let input = Array(text.utf8)
        let encoded = QuotedPrintable.encode(input)
        #expect(encoded.hasOnlyCRLFLineEnds)
        for line in encoded.crlfLines {
            #expect(line.utf8.count <= 76, "line of \(line.utf8.count): \(line)")
            #expect(line.utf8.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x09 })
            // Whitespace at the end of an encoded line would be stripped in transit.
            #expect(line.last != " " && line.last != "\t")
            // A soft line break never splits an =XX escape.
            #expect(!line.dropLast().hasSuffix("="))
        }
        #expect(QuotedPrintable.decode(encoded) == input)
    }

    @Test(arguments: [
        ("a=b", "a=3Db"),
        ("caf\u{E9}", "caf=C3=A9"),
        ("end \r\nnext", "end=20\r\nnext"),
    ])
    func quotedPrintableEscapes(_ text: String, _ expected: String) {
        #expect(QuotedPrintable.encode(Array(text.utf8)).text == expected)
    }

    @Test func quotedPrintableDecodesLeniently() {
        #expect(QuotedPrintable.decode(Array("soft=\r\nbreak=3d=3D  \r\nlf only=\nx =ZZ".utf8)).text == "softbreak==\r\nlf onlyx =ZZ")
    }

    @Test(arguments: [0, 1, 2, 3, 56, 57, 58, 1000, 10_000])
    func base64KeepsLinesShortAndRoundTrips(_ size: Int) {
        var generator = SystemRandomNumberGenerator()
        let data = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let encoded = Base64Lines.encode(data)
        #expect(encoded.hasOnlyCRLFLineEnds)
        let lines = encoded.crlfLines
        #expect(lines.allSatisfy { $0.utf8.count <= 76 })
        #expect(lines.dropLast().allSatisfy { $0.utf8.count == 76 })
        #expect(Base64Lines.decode(encoded) == data)
        #expect(Data(base64Encoded: lines.joined()) == Data(data))
    }

    /// Every line of a rendered message stays within RFC 5322's 78 octets, and the body's
    /// encoded lines within RFC 2045's 76.
    @Test func renderedMessagesKeepLineLimits() throws {
        var message = try sampleMessage(subject: String(repeating: "long subject words ", count: 20))
        message.plainText = String(repeating: "A line far longer than seventy-six characters, in plain ASCII. ", count: 5) + "\nÜnïcode"
        message.attachments.append(
            MailAttachment(name: "big.bin", contentType: "application/octet-stream", data: Array(repeating: 0xA5, count: 5000), contentID: nil))
        let rendered = message.render()
        #expect(rendered.hasOnlyCRLFLineEnds)
        let lines = rendered.crlfLines
        #expect(lines.allSatisfy { $0.utf8.count <= 78 })
        let body = lines.drop { !$0.isEmpty }
        #expect(body.allSatisfy { $0.utf8.count <= 76 })
        let parsed = MailParser.parse(rendered)
        #expect(parsed.plainText == message.plainText?.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(parsed.attachments.last?.decodedBody == Array(repeating: 0xA5, count: 5000))
    }
}
