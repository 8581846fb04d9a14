import Crypto
import Foundation
import Mail
import Testing
import _CryptoExtras

/// Writes messages signed by our signer for dkimpy to verify: scripts/mail-interop/run.sh sets
/// MAIL_INTEROP_OUT (the directory to write to) and MAIL_INTEROP_KEY (the PEM key to sign with),
/// then runs verify.py over what this wrote.
@Suite(
    .enabled(
        if: ProcessInfo.processInfo.environment["MAIL_INTEROP_OUT"] != nil,
        "needs MAIL_INTEROP_OUT and MAIL_INTEROP_KEY: see scripts/mail-interop/run.sh"))
struct InteropExportTests {
    /// What verify.py reads: the signed messages, which of them are DSNs, and the TXT records its
    /// DNS stand-in answers with.
    struct Manifest: Encodable {
        var files: [String]
        var reports: [String]
        var records: [String: String]
    }

    static let selector = "interop"
    static let domain = "example.com"

    @Test func signsMessagesForDkimpy() async throws {
        let environment = ProcessInfo.processInfo.environment
        let output = URL(fileURLWithPath: try #require(environment["MAIL_INTEROP_OUT"]), isDirectory: true)
        let pem = try String(contentsOfFile: try #require(environment["MAIL_INTEROP_KEY"]), encoding: .utf8)
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        let signer = DKIMSigner(domain: Self.domain, selector: Self.selector, privateKey: key)
        let record = DKIMKey.txtRecord(for: key.publicKey)
        let dns = verifier(records: ["\(Self.selector)._domainkey.\(Self.domain)": [record]])
        let now = Date()

        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        var files: [String] = []
        for (name, message) in try Self.messages() {
            let signed = try signer.sign(message, timestamp: now)
            // Our own verifier must agree before dkimpy is asked.
            #expect(await dns.verify(signed, now: now).map(\.status) == [.pass], "\(name)")
            try Data(signed).write(to: output.appendingPathComponent(name + ".eml"))
            files.append(name + ".eml")
        }
        var reports: [String] = []
        for (name, report) in try Self.reports() {
            let signed = try signer.sign(report, timestamp: now)
            #expect(try DeliveryStatusNotification(parsing: signed).recipients.isEmpty == false)
            try Data(signed).write(to: output.appendingPathComponent(name + ".eml"))
            files.append(name + ".eml")
            reports.append(name + ".eml")
        }
        let manifest = Manifest(files: files, reports: reports, records: ["\(Self.selector)._domainkey.\(Self.domain).": record])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(manifest).write(to: output.appendingPathComponent("manifest.json"))
    }

    /// Messages that exercise what DKIM canonicalization is sensitive to.
    static func messages() throws -> [(String, [UInt8])] {
        let date = Date(timeIntervalSince1970: 1_704_067_200)
        let rich = MailMessage(
            from: try MailAddress("jane@example.com", displayName: "Jörg Müller"),
            to: try (1...12).map { try MailAddress("user\($0)@example.net", displayName: "Recipient \($0), Esq.") },
            cc: [try MailAddress("用户@example.org")], replyTo: [try MailAddress("replies@example.com")],
            subject: "Grüße aus Köln — " + String(repeating: "a long subject that must be folded ", count: 4), date: date,
            plainText: "Zeile eins  \n\twith tabs\t\nand trailing blank lines\n\n\n",
            html: "<html><body><p>" + String(repeating: "Hello, world! ", count: 20) + "<img src=\"cid:logo@example.com\"></p></body></html>",
            attachments: [
                MailAttachment(name: "logo.png", contentType: "image/png", data: Array(repeating: 0x89, count: 700), contentID: "logo@example.com"),
                MailAttachment(name: "Résumé März 2024.pdf", contentType: "application/pdf", data: Array(0...255), contentID: nil),
            ],
            headers: [
                (name: "List-Unsubscribe", value: "<https://example.com/u/0123456789abcdef>, <mailto:unsubscribe@example.com?subject=unsubscribe>"),
                (name: "List-Unsubscribe-Post", value: "List-Unsubscribe=One-Click"),
            ])
        let htmlOnly = MailMessage(
            from: try MailAddress("news@example.com"), to: [try MailAddress("john@example.net")], subject: "HTML only", date: date,
            html: "<p>Only HTML</p>")
        let raw = """
            Received: from app.example.com by mail.example.com; Mon, 1 Jan 2024 00:00:00 +0000
            From: Jane <jane@example.com>
            To: john@example.net,
            \tmary@example.org
            To: second-to@example.net
            Subject:  spaced   out\t
              and folded
            Date: Mon, 1 Jan 2024 00:00:00 +0000
            Message-ID: <raw-1@example.com>

            """
        return [
            ("01-sample", try sampleMessage().render()),
            ("02-rich", rich.render()),
            ("03-html-only", htmlOnly.render()),
            ("04-raw-lf-empty-body", Array(raw.utf8)),
            ("05-raw-body-whitespace", Array((raw + "  leading\n\ntrailing \t \n\n\n").utf8)),
        ]
    }

    /// Delivery status notifications as `make(…)` writes them.
    static func reports() throws -> [(String, [UInt8])] {
        let original = try sampleMessage().render()
        let from = try MailAddress("MAILER-DAEMON@mx.example.com", displayName: "Mail Delivery System")
        let to = try MailAddress("jane@example.com")
        let failed = DeliveryStatusNotification.make(
            from: from, to: to, reportingMTA: "mx.example.com",
            recipients: [
                .init(
                    finalRecipient: .rfc822("john@example.net"), action: .failed, status: try #require(DeliveryStatusCode("5.1.1")),
                    remoteMTA: .dns("mx.example.net"), diagnosticCode: .smtp("550 5.1.1 <john@example.net>: Recipient address rejected")),
                .init(finalRecipient: .rfc822("mary@example.org"), action: .delivered, status: try #require(DeliveryStatusCode("2.0.0"))),
            ],
            originalEnvelopeID: "env-1", arrivalDate: Date(), originalMessage: original)
        let delayed = DeliveryStatusNotification.make(
            from: from, to: to, reportingMTA: "mx.example.com",
            recipients: [
                .init(
                    finalRecipient: .rfc822("slow@example.org"), action: .delayed, status: try #require(DeliveryStatusCode("4.4.7")),
                    willRetryUntil: Date().addingTimeInterval(86_400))
            ],
            originalMessage: original, returnFullMessage: true)
        return [("10-dsn-failed", failed), ("11-dsn-delayed-full", delayed)]
    }
}
