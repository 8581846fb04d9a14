import Foundation
import Mail
import Testing

@Suite("Delivery status notifications: tolerant reading")
struct DeliveryStatusToleranceTests {
    /// A report around a delivery-status body.
    func report(_ status: String, type: String = "message/delivery-status", encoding: String = "7bit") -> [UInt8] {
        """
        From: MAILER-DAEMON@relay.example.net
        To: sender@example.com
        Subject: failure
        MIME-Version: 1.0
        Content-Type: MULTIPART/Report; Report-Type="Delivery-Status";
        \tboundary="b (x)"

        --b (x)
        Content-Type: text/plain

        It failed.
        --b (x)
        content-type: \(type)
        Content-Transfer-Encoding: \(encoding)

        \(status)
        --b (x)--
        """.crlf
    }

    @Test func foldedFieldsCommentsAndCase() throws {
        let status = """
            reporting-mta: DNS; (the relay) relay.example.net. (Exim 4.96)
            original-envelope-id: Env-42

            FINAL-RECIPIENT: RFC822;
              <Bob@Example.NET> (bob's mailbox)
            ACTION: Failed (permanent)
            STATUS: 5.2.2 (mailbox full)
            diagnostic-code: SMTP;
              552 5.2.2 Mailbox
            \tfull

            Final-Recipient: rfc822; list@example.net
            Action: EXPANDED (to 3 members)
            Status: 2.0.0
            """
        let bytes = report(status)
        #expect(MailParser.parse(bytes).isDeliveryStatusNotification)
        let parsed = try DeliveryStatusNotification(parsing: bytes)
        #expect(parsed.reportingMTA == .dns("relay.example.net"))
        #expect(parsed.originalEnvelopeID == "Env-42")
        #expect(parsed.originalMessageID == "Env-42")
        let recipient = try #require(parsed.recipients.first)
        #expect(recipient.finalRecipient == .rfc822("Bob@Example.NET"))
        #expect(recipient.action == .failed)
        #expect(recipient.status == DeliveryStatusCode(.permanentFailure, subject: 2, detail: 2))
        #expect(recipient.diagnosticCode == .smtp("552 5.2.2 Mailbox full"))
        #expect(parsed.originalHeaders.isEmpty)
        #expect(parsed.recipients.map(\.action) == [.failed, .expanded])
    }

    @Test func missingBlankLinesTypesActionsAndStatuses() throws {
        let status = """
            Reporting-MTA: dns; mx.example.org
            Final-Recipient: a@example.org
            Status: 4.4.1


            Final-Recipient: rfc822; b@example.org
            Action: failed
            Diagnostic-Code: smtp; 550 5.7.1 Relaying denied
            \u{20}\u{20}
            Final-Recipient: rfc822; c@example.org
            Action: delivered

            Final-Recipient: rfc822; broken@example.org
            X-Nothing: here

            Action: failed
            Status: 5.0.0
            """
        let parsed = try DeliveryStatusNotification(parsing: report(status))
        #expect(parsed.reportingMTA == .dns("mx.example.org"))
        #expect(
            parsed.recipients.map(\.finalRecipient) == [TypedValueFixture.bare("a@example.org"), .rfc822("b@example.org"), .rfc822("c@example.org")])
        #expect(parsed.recipients.map(\.action) == [.delayed, .failed, .delivered])
        #expect(parsed.recipients.map(\.status.description) == ["4.4.1", "5.7.1", "2.0.0"])
    }

    @Test func encodedAndGlobalStatusParts() throws {
        let status = "Reporting-MTA: dns; mx.example.org\r\n\r\nFinal-Recipient: utf-8; 用户@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        let base64 = Data(status.utf8).base64EncodedString(options: .lineLength76Characters)
        let parsed = try DeliveryStatusNotification(parsing: report(base64, type: "message/global-delivery-status", encoding: "base64"))
        #expect(parsed.recipients.first?.finalRecipient == DeliveryStatusNotification.TypedValue(type: "UTF-8", value: "用户@example.org"))
    }

    @Test func aBareDeliveryStatusMessageIsRead() throws {
        let bytes =
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; a.example\n\nFinal-Recipient: rfc822; x@b.example\nAction: failed\nStatus: 5.0.0\n"
        let parsed = MailParser.parse(Array(bytes.utf8))
        #expect(!parsed.isDeliveryStatusNotification)
        #expect(try DeliveryStatusNotification(parsing: parsed).recipients.count == 1)
    }

    @Test func messagesThatAreNotReports() throws {
        let plain = try sampleMessage().render()
        #expect(!MailParser.parse(plain).isDeliveryStatusNotification)
        #expect(MailParser.parse(plain).deliveryStatusNotification == nil)
        #expect(throws: DeliveryStatusNotificationError.noDeliveryStatusPart) { try DeliveryStatusNotification(parsing: plain) }
        #expect(throws: DeliveryStatusNotificationError.noRecipients) { try DeliveryStatusNotification(parsing: report("")) }
        #expect(throws: DeliveryStatusNotificationError.noRecipients) {
            try DeliveryStatusNotification(parsing: report("Reporting-MTA: dns; a.example\n\nX-Junk: 1\nnot a field"))
        }
        let mdn = report("Final-Recipient: rfc822; a@b.example\nDisposition: automatic-action/MDN-sent-automatically; displayed")
            .text.replacingOccurrences(of: "Delivery-Status", with: "disposition-notification")
        #expect(!MailParser.parse(Array(mdn.utf8)).isDeliveryStatusNotification)
    }

    @Test(arguments: [
        ("5.1.1", DeliveryStatusCode.Class.permanentFailure, 1, 1),
        ("2.0.0", .success, 0, 0),
        ("4.7.1 (greylisted)", .persistentTransientFailure, 7, 1),
        ("  5.1.10\t", .permanentFailure, 1, 10),
        ("5.123.999", .permanentFailure, 123, 999),
    ])
    func parsesStatusCodes(_ text: String, _ statusClass: DeliveryStatusCode.Class, _ subject: Int, _ detail: Int) throws {
        let code = try #require(DeliveryStatusCode(text))
        #expect(code.statusClass == statusClass)
        #expect(code.subject == subject)
        #expect(code.detail == detail)
        #expect(DeliveryStatusCode(code.description) == code)
    }

    @Test(arguments: ["", "6.1.1", "3.0.0", "5.1", "5.1.1.1", "5..1", "a.b.c", "55.1.1", "5.1234.1", "5.1.1x", "-5.1.1"])
    func rejectsInvalidStatusCodes(_ text: String) {
        #expect(DeliveryStatusCode(text) == nil)
    }

    @Test(arguments: [
        ("550 5.1.1 <a@b.example>: User unknown", "5.1.1"),
        ("550-5.1.1 The email account", "5.1.1"),
        ("421 Try again later", "4.0.0"),
        ("250 2.0.0 Ok: queued as 123", "2.0.0"),
        ("554 Rejected by 192.0.2.1", "5.0.0"),
    ])
    func findsCodesInSMTPReplies(_ reply: String, _ expected: String) {
        #expect(DeliveryStatusCode(smtpReply: reply)?.description == expected)
    }

    @Test(arguments: ["delivered to mailbox", "", "Mailbox full"])
    func smtpRepliesWithoutCodes(_ reply: String) {
        #expect(DeliveryStatusCode(smtpReply: reply) == nil)
    }
}

/// Typed values as the parser gives them for fields written without a type.
enum TypedValueFixture {
    static func bare(_ value: String) -> DeliveryStatusNotification.TypedValue {
        DeliveryStatusNotification.TypedValue(type: "", value: value)
    }
}
