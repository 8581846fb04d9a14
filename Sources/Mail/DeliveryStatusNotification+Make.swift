import Foundation

extension DeliveryStatusNotification {
    /// Renders a delivery status notification as a mail system sends it: a `multipart/report;
    /// report-type=delivery-status` message (RFC 3462/6522) with a human-readable `text/plain`
    /// part, a `message/delivery-status` part (RFC 3464) and, when `originalMessage` is given, its
    /// header section as `text/rfc822-headers` or, with `returnFullMessage`, the whole message as
    /// `message/rfc822`.
    ///
    /// The report is marked `Auto-Submitted: auto-replied` (RFC 3834); send it with an empty
    /// reverse-path (`MAIL FROM:<>`) so that it is never answered by another report. Field values
    /// are sanitized as in ``MailMessage`` (CR and LF become spaces). When any value in the status
    /// fields is not ASCII the part is `message/global-delivery-status` (RFC 6533) instead; when the
    /// returned headers are not ASCII they go as `message/global-headers`. RFC 3464 requires at least
    /// one recipient: pass one.
    ///
    /// - Parameters:
    ///   - from: The report's author, such as `MAILER-DAEMON@mx.example.com`.
    ///   - to: Whom the report goes to: the original message's envelope sender.
    ///   - reportingMTA: The reporting mail system's host name (`Reporting-MTA: dns; …`).
    ///   - recipients: One entry per recipient reported on.
    ///   - originalEnvelopeID: The `ENVID` the sender gave, written as `Original-Envelope-Id`.
    ///   - arrivalDate: When the message arrived at the reporting MTA.
    ///   - originalMessage: The message the report is about, as octets.
    ///   - returnFullMessage: Return the whole message rather than its header section (SMTP `RET=FULL`).
    ///   - explanation: The human-readable text; by default one is written from the recipients.
    ///   - subject: The Subject; by default `Delivery Status Notification (Failure)`, `(Delay)` or `(Success)`.
    ///   - date: The report's Date.
    ///   - messageID: The report's Message-ID without angle brackets; by default a new one at `reportingMTA`.
    public static func make(
        from: MailAddress, to: MailAddress, reportingMTA: String, recipients: [Recipient], originalEnvelopeID: String? = nil,
        arrivalDate: Date? = nil, originalMessage: [UInt8]? = nil, returnFullMessage: Bool = false, explanation: String? = nil,
        subject: String? = nil, date: Date = Date(), messageID: String? = nil
    ) -> [UInt8] {
        let mtaName = HeaderFieldWriter.sanitize(reportingMTA).filter { $0 != " " && $0 != "\t" && $0 != ";" }
        var parts: [MIMEEntity] = []

        var notification = MIMEEntityBuilder.text(explanation ?? defaultExplanation(reportingMTA: mtaName, recipients), subtype: "plain")
        notification.extraHeaders.append(HeaderFieldWriter.field(name: "Content-Description", value: "Notification"))
        parts.append(notification)

        var status: [UInt8] = []
        if let originalEnvelopeID { status += HeaderFieldWriter.field(name: "Original-Envelope-Id", value: originalEnvelopeID) }
        status += HeaderFieldWriter.field(name: "Reporting-MTA", value: TypedValue.dns(mtaName).description)
        if let arrivalDate { status += HeaderFieldWriter.field(name: "Arrival-Date", value: RFC5322Date.format(arrivalDate)) }
        for recipient in recipients {
            status += ASCII.crlf
            for field in recipient.renderedFields { status += HeaderFieldWriter.field(name: field.name, value: field.value) }
        }
        let statusIsASCII = ASCII.isASCII(status)
        parts.append(
            MIMEEntity(
                contentType: statusIsASCII ? "message/delivery-status" : "message/global-delivery-status",
                extraHeaders: [HeaderFieldWriter.field(name: "Content-Description", value: "Delivery report")],
                content: .leaf(transferEncoding: statusIsASCII ? "7bit" : "8bit", body: status)))

        if let originalMessage {
            parts.append(returnedPart(ASCII.normalizingLineEndings(originalMessage), full: returnFullMessage))
        }

        let report = MIMEEntity(contentType: "multipart/report; report-type=delivery-status", content: .multipart(parts: parts))
        let actions = Set(recipients.map(\.action))
        let defaultSubject =
            actions.contains(.failed)
            ? "Delivery Status Notification (Failure)"
            : actions.contains(.delayed) ? "Delivery Status Notification (Delay)" : "Delivery Status Notification (Success)"
        let id = HeaderFieldWriter.sanitize(messageID ?? MailMessage.makeMessageID(domain: mtaName))
            .filter { $0 != "<" && $0 != ">" && $0 != " " && $0 != "\t" }

        var output: [UInt8] = []
        output += HeaderFieldWriter.field(name: "Date", value: RFC5322Date.format(date))
        output += HeaderFieldWriter.addressList(name: "From", addresses: [from])
        output += HeaderFieldWriter.addressList(name: "To", addresses: [to])
        output += HeaderFieldWriter.unstructured(name: "Subject", text: subject ?? defaultSubject)
        output += HeaderFieldWriter.field(name: "Message-ID", value: "<" + id + ">")
        output += HeaderFieldWriter.field(name: "Auto-Submitted", value: "auto-replied")
        output += HeaderFieldWriter.field(name: "MIME-Version", value: "1.0")
        output += report.render()
        return output
    }

    /// The returned message, or its header section without the blank line that ends it.
    private static func returnedPart(_ message: [UInt8], full: Bool) -> MIMEEntity {
        let description = HeaderFieldWriter.field(
            name: "Content-Description", value: full ? "Undelivered message" : "Undelivered message headers")
        let headerEnd = RawMessage.split(message[...]).body.startIndex
        var headers = Array(message[..<headerEnd])
        if headers.ends(with: ASCII.crlf + ASCII.crlf) { headers.removeLast(2) }
        let headersAreASCII = ASCII.isASCII(headers)
        let body = full ? message : headers
        // message/* parts may not be base64 or quoted-printable (RFC 2046 §5.2.1): label 8-bit content as such.
        let encoding = ASCII.isASCII(body) ? "7bit" : "8bit"
        let type =
            full
            ? (headersAreASCII ? "message/rfc822" : "message/global")
            : (headersAreASCII ? "text/rfc822-headers" : "message/global-headers")
        return MIMEEntity(contentType: type, extraHeaders: [description], content: .leaf(transferEncoding: encoding, body: body))
    }

    /// A short explanation of each recipient's outcome, for the human-readable part.
    private static func defaultExplanation(reportingMTA: String, _ recipients: [Recipient]) -> String {
        var lines = ["This is the mail system at host \(reportingMTA).", ""]
        let actions = Set(recipients.map(\.action))
        if actions.contains(.failed) {
            lines.append("Your message could not be delivered to one or more recipients.")
        } else if actions.contains(.delayed) {
            lines.append("Delivery of your message has been delayed; the mail system will keep trying.")
        } else {
            lines.append("Your message was delivered, or handed on, as reported below.")
        }
        lines.append("")
        for recipient in recipients {
            var line = "<\(recipient.finalRecipient.value)>: \(recipient.action.rawValue) (\(recipient.status))"
            if let diagnostic = recipient.diagnosticCode { line += ": " + diagnostic.value }
            lines.append(line)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
