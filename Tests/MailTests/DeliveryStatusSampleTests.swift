import Foundation
import Mail
import Testing

/// Reports in the shapes Postfix, Exim and Gmail send (Tests/MailTests/Fixtures/dsn, written after
/// RFC 3464 and those systems' layouts; stored with LF line ends and read with CRLF too).
@Suite("Delivery status notifications: real-world shapes")
struct DeliveryStatusSampleTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        var file: String
        var reportingMTA: String
        var originalMessageID: String?
        var originalEnvelopeID: String?
        var recipients: [(address: String, action: DeliveryStatusNotification.Action, status: String, remoteMTA: String?, diagnostic: String?)]
        var testDescription: String { file }
    }

    static let samples: [Expected] = [
        Expected(
            file: "postfix-user-unknown.eml", reportingMTA: "mail.sender.example",
            originalMessageID: "7c0f3e4a9b1d4e2f8a6b5c4d3e2f1a0b@sender.example",
            recipients: [
                (
                    "nosuchuser@recipient.example", .failed, "5.1.1", "mx1.recipient.example",
                    "550 5.1.1 <nosuchuser@recipient.example>: Recipient address rejected: User unknown in virtual mailbox table"
                )
            ]),
        Expected(
            file: "exim-failed.eml", reportingMTA: "smtp.sender.example", originalMessageID: "b7f1c2d3e4f5@sender.example",
            recipients: [
                (
                    "gone@recipient.example", .failed, "5.0.0", "mx.recipient.example",
                    "550 5.1.1 <gone@recipient.example>: Recipient address rejected: User unknown"
                )
            ]),
        Expected(
            file: "exim-delayed.eml", reportingMTA: "smtp.sender.example", originalMessageID: "d3l4y3d@sender.example",
            recipients: [("slow@busy.example", .delayed, "4.0.0", "mx.busy.example", "451 4.7.1 Greylisted, please try again later")]),
        Expected(
            file: "gmail-no-such-user.eml", reportingMTA: "googlemail.com", originalMessageID: "CAF=x9c1Q2w3E4r5T6y7U8i9O0p@mail.gmail.com",
            recipients: [
                (
                    "no.such.user@gmail.example", .failed, "5.1.1", "gmail-smtp-in.l.google.com",
                    "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking"
                )
            ]),
        Expected(
            file: "postfix-success.eml", reportingMTA: "mail.sender.example", originalMessageID: "lunch-2024-01-06@sender.example",
            originalEnvelopeID: "op-7f3a9c2e-1",
            recipients: [
                ("friend@remote.example", .relayed, "2.0.0", "mx.remote.example", "250 2.0.0 Ok: queued as 4TbQ1z5Q2Mz1xyz"),
                ("local@sender.example", .delivered, "2.0.0", nil, "delivered to mailbox"),
            ]),
    ]

    @Test(arguments: samples)
    func readsTheReport(_ sample: Expected) throws {
        let bytes = try Fixture.bytes("dsn/" + sample.file)
        let parsed = MailParser.parse(bytes)
        #expect(parsed.isDeliveryStatusNotification)
        let report = try DeliveryStatusNotification(parsing: bytes)
        #expect(parsed.deliveryStatusNotification == report)
        #expect(report.reportingMTA == .dns(sample.reportingMTA))
        #expect(report.originalMessageID == sample.originalMessageID)
        #expect(report.originalEnvelopeID == sample.originalEnvelopeID)
        #expect(report.recipients.count == sample.recipients.count)
        for (recipient, expected) in zip(report.recipients, sample.recipients) {
            #expect(recipient.finalRecipient == .rfc822(expected.address))
            #expect(recipient.action == expected.action)
            #expect(recipient.status.description == expected.status)
            #expect(recipient.remoteMTA?.value == expected.remoteMTA)
            if let diagnostic = expected.diagnostic {
                #expect(recipient.diagnosticCode?.value.hasPrefix(diagnostic) == true, "\(String(describing: recipient.diagnosticCode))")
            } else {
                #expect(recipient.diagnosticCode == nil)
            }
        }
    }

    @Test(arguments: samples.map(\.file))
    func lineEndsDoNotMatter(_ file: String) throws {
        let lf = try Fixture.bytes("dsn/" + file)
        let crlf = String(decoding: lf, as: UTF8.self).crlf
        #expect(crlf != lf)
        #expect(try DeliveryStatusNotification(parsing: crlf) == DeliveryStatusNotification(parsing: lf))
    }

    @Test func postfixDetails() throws {
        let report = try DeliveryStatusNotification(parsing: Fixture.bytes("dsn/postfix-user-unknown.eml"))
        #expect(report.arrivalDate == Date(timeIntervalSince1970: 1_704_190_501))
        #expect(report.perMessageFields.first { $0.hasName("x-postfix-queue-id") }?.value == "4TZk2F3bq1z9vKp")
        let recipient = try #require(report.recipients.first)
        #expect(recipient.originalRecipient == .rfc822("nosuchuser@recipient.example"))
        #expect(recipient.status.isPermanentFailure)
        #expect(recipient.status.subject == 1 && recipient.status.detail == 1)
        #expect(recipient.diagnosticCode?.type == "smtp")
        #expect(report.originalHeaders.first { $0.hasName("Subject") }?.value == "Your weekly summary")
    }

    @Test func eximDelayDetails() throws {
        let report = try DeliveryStatusNotification(parsing: Fixture.bytes("dsn/exim-delayed.eml"))
        let recipient = try #require(report.recipients.first)
        #expect(recipient.status.isTransientFailure)
        #expect(recipient.willRetryUntil == Date(timeIntervalSince1970: 1_704_616_200))
        #expect(recipient.originalRecipient == nil)
    }

    @Test func gmailDetails() throws {
        let bytes = try Fixture.bytes("dsn/gmail-no-such-user.eml")
        let report = try DeliveryStatusNotification(parsing: bytes)
        #expect(report.receivedFromMTA == .dns("alerts@sender.example"))
        #expect(report.arrivalDate == Date(timeIntervalSince1970: 1_704_476_481))
        let recipient = try #require(report.recipients.first)
        #expect(recipient.lastAttemptDate == Date(timeIntervalSince1970: 1_704_476_482))
        #expect(recipient.diagnosticCode?.value.hasSuffix("gsmtp") == true)
        #expect(!(recipient.diagnosticCode?.value.contains("  ") ?? true))
        // The report's own parts are still there for a person to read.
        let parsed = MailParser.parse(bytes)
        #expect(parsed.plainText?.contains("Address not found") == true)
        #expect(parsed.attachments.contains { $0.filename == "icon.png" })
        #expect(report.originalHeaders.first { $0.hasName("Subject") }?.value == "Hello there")
    }
}
