import Foundation
import Mail
import Testing

@Suite("Rendering and parsing messages (RFC 5322, MIME)")
struct MailMessageTests {
    @Test func textHTMLAttachmentsAndInlinePartsRoundTrip() throws {
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + (0..<300).map { UInt8($0 % 256) }
        let pdf = Array("%PDF-1.4\n%âãÏÓ\n".utf8) + Array(repeating: 0, count: 100)
        let message = MailMessage(
            from: try MailAddress("jane@example.com", displayName: "Jörg Müller"), sender: try MailAddress("bulk@example.com"),
            to: [try MailAddress("john@example.net", displayName: "Doe, John"), try MailAddress("用户@example.org")],
            cc: [try MailAddress("mary@example.org")], bcc: [try MailAddress("secret@example.org")],
            replyTo: [try MailAddress("replies@example.com")], subject: "Grüße — report Q1",
            date: Date(timeIntervalSince1970: 1_704_067_200), messageID: "abc-123@example.com",
            plainText: "Hello,\nsee the chart.\n", html: "<p>Hello, see <img src=\"cid:chart@example.com\"></p>",
            attachments: [
                MailAttachment(name: "chart.png", contentType: "image/png", data: png, contentID: "chart@example.com"),
                MailAttachment(name: "Résumé März.pdf", contentType: "application/pdf", data: pdf, contentID: nil),
                MailAttachment(name: "notes.txt", contentType: "not a type", data: Array("x".utf8), contentID: nil),
            ],
            headers: [(name: "List-Unsubscribe", value: "<https://example.com/u/1>"), (name: "X-Campaign", value: "Frühling")])
        let rendered = message.render()
        #expect(rendered.hasOnlyCRLFLineEnds)
        #expect(!rendered.text.contains("secret@example.org"))

        let parsed = MailParser.parse(rendered)
        #expect(parsed.subject == "Grüße — report Q1")
        #expect(parsed.from == [message.from])
        #expect(parsed.to == message.to)
        #expect(parsed.cc == message.cc)
        #expect(parsed.replyTo == message.replyTo)
        #expect(parsed.messageID == "abc-123@example.com")
        #expect(parsed.date == message.date)
        #expect(parsed.plainText == "Hello,\r\nsee the chart.\r\n")
        #expect(parsed.html == message.html)
        #expect(parsed.header("MIME-Version") == "1.0")
        #expect(parsed.header("List-Unsubscribe") == "<https://example.com/u/1>")
        #expect(parsed.headers.first { $0.hasName("x-campaign") }?.decodedValue == "Frühling")
        #expect(parsed.header("Bcc") == nil)
        #expect(parsed.root.contentType.mimeType == "multipart/mixed")

        let attachments = parsed.attachments
        #expect(attachments.map(\.filename) == ["chart.png", "Résumé März.pdf", "notes.txt"])
        #expect(attachments.map(\.contentType.mimeType) == ["image/png", "application/pdf", "application/octet-stream"])
        #expect(attachments.map(\.decodedBody) == [png, pdf, Array("x".utf8)])
        #expect(attachments.map(\.contentID) == ["chart@example.com", nil, nil])
        #expect(attachments[0].disposition?.type == "inline")
        #expect(attachments[1].disposition?.isAttachment == true)
        let related = try #require(parsed.root.allParts.first { $0.contentType.subtype == "related" })
        #expect(related.contentType.parameters["type"] == "multipart/alternative")
    }

    @Test(arguments: [(true, false), (false, true), (false, false)])
    func singleBodies(plain: Bool, html: Bool) throws {
        var message = try sampleMessage()
        message.plainText = plain ? "only text" : nil
        message.html = html ? "<b>only html</b>" : nil
        message.attachments = []
        let parsed = MailParser.parse(message.render())
        #expect(parsed.root.children.isEmpty)
        #expect(parsed.root.contentType.subtype == (html ? "html" : "plain"))
        #expect(parsed.plainText == (plain ? "only text" : html ? nil : ""))
        #expect(parsed.html == (html ? "<b>only html</b>" : nil))
    }

    /// Values that try to end their header field and start another.
    static let injections = ["Hello\r\nBcc: evil@example.net", "Hello\nX-Injected: yes", "Hello\rX-Injected: yes", "Hello\r\n\r\nbody"]

    @Test(arguments: injections)
    func headerInjectionIsImpossible(_ payload: String) throws {
        var message = try sampleMessage(subject: payload)
        message.messageID = "id-1@example.com" + payload
        message.headers = [(name: "X-Note", value: payload), (name: "X-Evil\r\nBcc", value: "evil@example.net")]
        message.attachments = [
            MailAttachment(name: "a" + payload + ".txt", contentType: "text/plain" + payload, data: [0x41], contentID: "cid" + payload)
        ]
        let rendered = message.render()
        #expect(rendered.hasOnlyCRLFLineEnds)
        let parsed = MailParser.parse(rendered)
        let names = Set(parsed.headers.map { $0.name.lowercased() })
        #expect(!names.contains("bcc"))
        #expect(!names.contains("x-injected"))
        #expect(!names.contains("x-evil"))
        // Every header line is a field or a continuation; none was smuggled in.
        let allowed: Set<String> = ["date", "from", "to", "cc", "subject", "message-id", "x-note", "mime-version", "content-type"]
        for line in rendered.headerLines where !line.hasPrefix(" ") && !line.hasPrefix("\t") {
            #expect(allowed.contains(String(line.prefix { $0 != ":" }).lowercased()), "unexpected header line: \(line)")
        }
        let expected = payload.replacingOccurrences(of: "\r\n", with: "  ").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
        #expect(parsed.subject == expected)
        #expect(parsed.header("X-Note") == expected)
        #expect(parsed.attachments.first?.decodedBody == [0x41])
        let partFields: Set<String> = ["content-type", "content-transfer-encoding", "content-disposition", "content-id"]
        for part in parsed.root.allParts.dropFirst() {
            #expect(part.headers.allSatisfy { partFields.contains($0.name.lowercased()) })
        }
    }

    @Test func reservedAndInvalidExtraHeadersAreLeftOut() throws {
        var message = try sampleMessage()
        message.headers = [
            (name: "From", value: "evil@example.net"), (name: "content-type", value: "text/html"), (name: "Bad Name", value: "x"),
            (name: "X-Ok", value: "fine"),
        ]
        let parsed = MailParser.parse(message.render())
        #expect(parsed.headers.filter { $0.hasName("From") }.count == 1)
        #expect(parsed.header("Bad Name") == nil)
        #expect(parsed.header("X-Ok") == "fine")
    }

    @Test func longHeadersAreFolded() throws {
        let subject = (1...40).map { "word\($0)" }.joined(separator: " ")
        var message = try sampleMessage(subject: subject)
        message.to = try (1...20).map { try MailAddress("recipient\($0)@example.com", displayName: "Recipient Number \($0)") }
        message.headers = [(name: "X-Long-Token", value: String(repeating: "t", count: 200))]
        let rendered = message.render()
        let header = rendered.headerLines
        #expect(header.allSatisfy { $0.utf8.count <= 78 || $0.hasPrefix("X-Long-Token:") })
        #expect(header.filter { $0.hasPrefix(" ") }.count >= 8)
        let parsed = MailParser.parse(rendered)
        #expect(parsed.subject == subject)
        #expect(parsed.to == message.to)
        #expect(parsed.header("X-Long-Token") == String(repeating: "t", count: 200))
    }

    @Test func parsesReceivedMailTolerantly() throws {
        let raw = """
            From nobody Mon Jan  1 00:00:00 2024
            Subject: =?iso-8859-1?q?caf=E9?=
            From: "Caf\\"e" <cafe@example.com>
            To: undisclosed-recipients:;
            Content-Type: multipart/mixed; boundary=outer

            preamble
            --outer
            Content-Type: text/plain; charset=iso-8859-1
            Content-Transfer-Encoding: quoted-printable

            caf=E9 cr=E8me=
             br=FBl=E9e
            --outer
            Content-Type: application/octet-stream
            Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt
            Content-Transfer-Encoding: base64

            aGVs
            bG8=
            --outer--
            epilogue
            """
        let parsed = MailParser.parse(Array(raw.utf8))
        #expect(parsed.subject == "café")
        #expect(parsed.from.first?.displayName == "Caf\"e")
        #expect(parsed.to.isEmpty)
        #expect(parsed.plainText == "café crème brûlée")
        #expect(parsed.attachments.first?.filename == "résumé.txt")
        #expect(parsed.attachments.first?.decodedBody == Array("hello".utf8))
    }
}
