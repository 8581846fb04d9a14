import Foundation

/// A delivery status notification (RFC 3464) in a `multipart/report` message (RFC 3462, now 6522):
/// what a mail system reports about a message it failed, delayed or managed to deliver.
///
/// Parsing is tolerant of what real mail systems send: folded fields, comments, field names in
/// any case, CRLF or LF line ends, extra blank lines, the per-recipient fields written in any
/// order, a missing Action or Status (inferred from the other or from the diagnostic), a missing
/// address type, and `message/global-delivery-status` (RFC 6533). It throws only when there is
/// no delivery-status part at all or it names no recipient.
public struct DeliveryStatusNotification: Sendable, Hashable {
    /// `Original-Envelope-Id`: the `ENVID` the sender gave in SMTP (RFC 3461), as written.
    public var originalEnvelopeID: String?
    /// `Reporting-MTA`: the mail system that wrote the report (RFC 3464 requires it; nil when absent).
    public var reportingMTA: TypedValue?
    /// `DSN-Gateway`: set when a gateway translated a foreign notification.
    public var dsnGateway: TypedValue?
    /// `Received-From-MTA`: where the reporting MTA got the message.
    public var receivedFromMTA: TypedValue?
    /// `Arrival-Date`: when the reporting MTA got the message.
    public var arrivalDate: Date?
    /// Every per-message field as written (unfolded), extension fields such as
    /// `X-Postfix-Queue-ID` included.
    public var perMessageFields: [MailHeaderField]
    /// One entry per per-recipient group.
    public var recipients: [Recipient]
    /// The header fields of the returned message: from its `text/rfc822-headers` (or
    /// `message/global-headers`) part, or from its `message/rfc822` (or `message/global`) part.
    /// Empty when the report returned neither.
    public var originalHeaders: [MailHeaderField]

    /// The Message-ID (without angle brackets) of the message the report is about: the returned
    /// headers' `Message-ID`; else an `X-Original-Message-ID` per-message field (Gmail writes one);
    /// else the `Original-Envelope-Id`, for senders that use their Message-ID as ENVID.
    public var originalMessageID: String? {
        let fromHeaders = originalHeaders.nonEmptyValue("Message-ID") ?? perMessageFields.nonEmptyValue("X-Original-Message-ID")
        if let fromHeaders {
            let id = DeliveryStatusFields.address(fromHeaders)
            if !id.isEmpty { return id }
        }
        return originalEnvelopeID
    }

    /// Parses a report from message octets.
    public init(parsing message: [UInt8]) throws(DeliveryStatusNotificationError) {
        try self.init(parsing: MailParser.parse(message))
    }

    /// Reads a report from a parsed message. The delivery-status part is looked for anywhere in the
    /// MIME tree (a report forwarded inside another message is read too); check
    /// ``ParsedMailMessage/isDeliveryStatusNotification`` first to accept only messages that are
    /// reports themselves.
    public init(parsing message: ParsedMailMessage) throws(DeliveryStatusNotificationError) {
        let parts = message.root.allParts
        guard let statusIndex = parts.firstIndex(where: { Self.isStatusPart($0.contentType) }) else {
            throw .noDeliveryStatusPart
        }
        let groups = DeliveryStatusFields.groups(parts[statusIndex].decodedBody)
        guard let first = groups.first else { throw .noRecipients }
        // Some systems leave out the blank line after the per-message fields; then the first group
        // is read both ways.
        let firstIsRecipient = first.contains { Self.recipientFieldNames.contains(ASCII.lowercased($0.name)) }
        let recipientGroups = firstIsRecipient ? groups : Array(groups.dropFirst())
        perMessageFields = firstIsRecipient ? first.filter { Self.perMessageFieldNames.contains(ASCII.lowercased($0.name)) } : first
        recipients = recipientGroups.compactMap { Recipient(group: $0) }
        guard !recipients.isEmpty else { throw .noRecipients }

        originalEnvelopeID = perMessageFields.nonEmptyValue("Original-Envelope-Id").map { ASCII.trimmed($0) }
        reportingMTA = Self.mtaName(perMessageFields.nonEmptyValue("Reporting-MTA"))
        dsnGateway = Self.mtaName(perMessageFields.nonEmptyValue("DSN-Gateway"))
        receivedFromMTA = Self.mtaName(perMessageFields.nonEmptyValue("Received-From-MTA"))
        arrivalDate = perMessageFields.nonEmptyValue("Arrival-Date").flatMap { RFC5322Date.parse($0) }

        // The returned content normally follows the delivery-status part; look before it too.
        let returned = parts[(statusIndex + 1)...].first(where: Self.isReturnedContent) ?? parts.first(where: Self.isReturnedContent)
        if let returned {
            originalHeaders =
                returned.contentType.subtype.hasSuffix("headers")
                ? MailParser.parseHeaders(returned.decodedBody) : (returned.embeddedMessage?.headers ?? [])
        } else {
            originalHeaders = []
        }
    }

    /// Whether a part's type is `message/delivery-status` or its RFC 6533 UTF-8 form.
    static func isStatusPart(_ type: MIMEContentType) -> Bool {
        type.type == "message" && (type.subtype == "delivery-status" || type.subtype == "global-delivery-status")
    }

    private static func isReturnedContent(_ part: ParsedMailPart) -> Bool {
        switch part.contentType.mimeType {
        case "text/rfc822-headers", "message/global-headers", "message/rfc822", "message/global": true
        default: false
        }
    }

    /// Field names that only occur in per-recipient groups (lowercased).
    static let recipientFieldNames: Set<String> = ["final-recipient", "original-recipient", "action", "status"]
    /// Field names RFC 3464 §2.2 defines for the per-message group (lowercased).
    static let perMessageFieldNames: Set<String> = [
        "original-envelope-id", "reporting-mta", "dsn-gateway", "received-from-mta", "arrival-date",
    ]

    /// Reads an `mta-name-type; mta-name` value, comments (and a DNS name's final dot) removed.
    static func mtaName(_ text: String?) -> TypedValue? {
        guard let text else { return nil }
        let (type, value) = DeliveryStatusFields.typed(text)
        var name = DeliveryStatusFields.withoutComments(value)
        // "mx.example.com." and "mx.example.com" name the same host.
        if type == "dns", name.hasSuffix("."), name.count > 1 { name.removeLast() }
        return name.isEmpty ? nil : TypedValue(type: type ?? "", value: name)
    }
}
