import Foundation
import Mail
import Testing

@Suite("Delivery status notifications: making them")
struct DeliveryStatusMakeTests {
    typealias DSN = DeliveryStatusNotification
    static let date = Date(timeIntervalSince1970: 1_704_153_600)

    func make(_ recipients: [DSN.Recipient], original: [UInt8]? = nil, full: Bool = false) throws -> [UInt8] {
        DSN.make(
            from: try MailAddress("MAILER-DAEMON@mx.example.com", displayName: "Mail Delivery System"),
            to: try MailAddress("jane@example.com"), reportingMTA: "mx.example.com", recipients: recipients,
            originalEnvelopeID: "env-1", arrivalDate: Self.date, originalMessage: original, returnFullMessage: full, date: Self.date,
            messageID: "dsn-1@mx.example.com")
    }

    static let failed = DSN.Recipient(
        finalRecipient: .rfc822("john@example.net"), originalRecipient: .rfc822("John@Example.net"), action: .failed,
        status: DeliveryStatusCode(.permanentFailure, subject: 1, detail: 1)!, remoteMTA: .dns("mx.example.net"),
        diagnosticCode: .smtp("550 5.1.1 <john@example.net>: Recipient address rejected: User unknown in virtual mailbox table"),
        lastAttemptDate: date.addingTimeInterval(5), finalLogID: "4TZk2F3bq1z9vKp")

    @Test func makesAStandardsShapedReport() throws {
        let original = try sampleMessage().render()
        let bytes = try make([Self.failed], original: original)
        #expect(bytes.hasOnlyCRLFLineEnds)
        #expect(bytes.crlfLines.allSatisfy { $0.utf8.count <= 78 })
        let parsed = MailParser.parse(bytes)
        #expect(parsed.isDeliveryStatusNotification)
        #expect(parsed.subject == "Delivery Status Notification (Failure)")
        #expect(parsed.header("Auto-Submitted") == "auto-replied")
        #expect(parsed.messageID == "dsn-1@mx.example.com")
        #expect(parsed.root.contentType.parameters["report-type"] == "delivery-status")
        // RFC 3462: the human-readable part first, the machine-readable one second, the returned content last.
        #expect(parsed.root.children.map(\.contentType.mimeType) == ["text/plain", "message/delivery-status", "text/rfc822-headers"])
        #expect(parsed.plainText?.contains("<john@example.net>: failed (5.1.1)") == true)
        let status = parsed.root.children[1].decodedBody.text
        #expect(status.hasPrefix("Original-Envelope-Id: env-1\r\nReporting-MTA: dns; mx.example.com\r\nArrival-Date: "))
        #expect(
            status.contains(
                "\r\n\r\nOriginal-Recipient: rfc822; John@Example.net\r\nFinal-Recipient: rfc822; john@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            ))
        #expect(parsed.root.children[2].text == original.text.components(separatedBy: "\r\n\r\n")[0] + "\r\n")
    }

    @Test func roundTrips() throws {
        let delivered = DSN.Recipient(
            finalRecipient: .rfc822("mary@example.org"), action: .delivered, status: DeliveryStatusCode("2.0.0")!,
            diagnosticCode: .smtp("250 2.0.0 Ok"))
        let original = try sampleMessage().render()
        let report = try DSN(parsing: make([Self.failed, delivered], original: original))
        #expect(report.reportingMTA == .dns("mx.example.com"))
        #expect(report.originalEnvelopeID == "env-1")
        #expect(report.arrivalDate == Self.date)
        #expect(report.originalMessageID == "report-1@example.com")
        #expect(report.recipients.count == 2)
        for (parsed, made) in zip(report.recipients, [Self.failed, delivered]) {
            #expect(parsed.finalRecipient == made.finalRecipient)
            #expect(parsed.originalRecipient == made.originalRecipient)
            #expect(parsed.action == made.action)
            #expect(parsed.status == made.status)
            #expect(parsed.remoteMTA == made.remoteMTA)
            #expect(parsed.diagnosticCode == made.diagnosticCode)
            #expect(parsed.lastAttemptDate == made.lastAttemptDate)
            #expect(parsed.finalLogID == made.finalLogID)
        }
    }

    @Test(arguments: DSN.Action.allCases)
    func everyActionRoundTrips(_ action: DSN.Action) throws {
        let status: DeliveryStatusCode =
            switch action {
            case .failed: DeliveryStatusCode("5.2.2")!
            case .delayed: DeliveryStatusCode("4.4.7")!
            case .delivered, .relayed, .expanded: DeliveryStatusCode("2.0.0")!
            }
        let retry = action == .delayed ? Self.date.addingTimeInterval(86_400) : nil
        let recipient = DSN.Recipient(finalRecipient: .rfc822("a@example.org"), action: action, status: status, willRetryUntil: retry)
        let bytes = try make([recipient])
        let report = try DSN(parsing: bytes)
        #expect(report.recipients.map(\.action) == [action])
        #expect(report.recipients.first?.status == status)
        #expect(report.recipients.first?.willRetryUntil == retry)
        #expect(report.originalMessageID == "env-1")
        let subject = MailParser.parse(bytes).subject
        #expect(subject == "Delivery Status Notification (\(action == .failed ? "Failure" : action == .delayed ? "Delay" : "Success"))")
    }

    @Test func returnsTheFullMessageOnRequest() throws {
        let original = try sampleMessage().render()
        let parsed = MailParser.parse(try make([Self.failed], original: original, full: true))
        let returned = try #require(parsed.root.children.last)
        #expect(returned.contentType.mimeType == "message/rfc822")
        #expect(returned.decodedBody == original)
        #expect(returned.embeddedMessage?.subject == "Quarterly report")
    }

    @Test func valuesCannotInjectFields() throws {
        var recipient = Self.failed
        recipient.diagnosticCode = .smtp("550 no\r\nAction: delivered\r\n\r\nFinal-Recipient: rfc822; eve@example.net")
        recipient.finalRecipient = .rfc822("john@example.net\nStatus: 2.0.0")
        let report = try DSN(parsing: make([recipient]))
        #expect(report.recipients.count == 1)
        #expect(report.recipients.first?.action == .failed)
        #expect(report.recipients.first?.status.description == "5.1.1")
        #expect(report.recipients.first?.diagnosticCode?.value.contains("Action: delivered") == true)
    }

    @Test func nonASCIIValuesUseTheGlobalTypes() throws {
        let recipient = DSN.Recipient(
            finalRecipient: DSN.TypedValue(type: "utf-8", value: "用户@example.org"), action: .failed, status: DeliveryStatusCode("5.1.1")!)
        let bytes = try make([recipient], original: Array("From: 王 <wang@example.com>\r\nSubject: 你好\r\n\r\nbody\r\n".utf8))
        let parsed = MailParser.parse(bytes)
        #expect(parsed.root.children.map(\.contentType.mimeType) == ["text/plain", "message/global-delivery-status", "message/global-headers"])
        let report = try DSN(parsing: bytes)
        #expect(report.recipients.first?.finalRecipient.value == "用户@example.org")
        #expect(report.originalHeaders.first { $0.hasName("Subject") }?.value == "你好")
    }
}
