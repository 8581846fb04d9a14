import Foundation

/// An email message to send, rendered by ``render()`` into RFC 5322 / MIME octets.
///
/// Header injection: every value that ends up in a header field (subject, display names, message
/// id, extra headers, attachment names) has CR, LF and other control characters replaced by a space
/// before it is written, so no value can end its field and start another. Extra headers with an
/// invalid field name, or whose name is one the renderer writes itself (From, Sender, To, Cc, Bcc,
/// Reply-To, Subject, Date, Message-ID, MIME-Version, Content-*), are left out.
public struct MailMessage: Sendable {
    /// The author (`From`).
    public var from: MailAddress
    /// The agent that sent the message on the author's behalf (`Sender`), when different.
    public var sender: MailAddress?
    /// Primary recipients (`To`).
    public var to: [MailAddress]
    /// Copied recipients (`Cc`).
    public var cc: [MailAddress]
    /// Blind-copied recipients: part of the SMTP envelope only, never written into the message.
    public var bcc: [MailAddress]
    /// Where replies go (`Reply-To`).
    public var replyTo: [MailAddress]
    /// The subject; non-ASCII text is sent as RFC 2047 encoded words.
    public var subject: String
    /// The origination date (`Date`), written in UTC.
    public var date: Date
    /// The message id without angle brackets, such as `3f2a…@example.com`.
    public var messageID: String
    /// The plain-text body.
    public var plainText: String?
    /// The HTML body.
    public var html: String?
    /// Attachments and inline parts.
    public var attachments: [MailAttachment]
    /// Extra header fields in order, such as `List-Unsubscribe`; values are field text (ASCII is
    /// written as is and folded at spaces, anything else is sent as encoded words).
    public var headers: [(name: String, value: String)]

    /// A message; `messageID` defaults to a new one at the From address's domain, `date` to now.
    public init(
        from: MailAddress, sender: MailAddress? = nil, to: [MailAddress] = [], cc: [MailAddress] = [],
        bcc: [MailAddress] = [], replyTo: [MailAddress] = [], subject: String, date: Date = Date(),
        messageID: String? = nil, plainText: String? = nil, html: String? = nil, attachments: [MailAttachment] = [],
        headers: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.sender = sender
        self.to = to
        self.cc = cc
        self.bcc = bcc
        self.replyTo = replyTo
        self.subject = subject
        self.date = date
        self.messageID = messageID ?? Self.makeMessageID(domain: from.domain)
        self.plainText = plainText
        self.html = html
        self.attachments = attachments
        self.headers = headers
    }

    /// A new message id, `<32 hex digits: 128 random bits>@domain`, without angle brackets.
    public static func makeMessageID(domain: String) -> String {
        ASCII.randomHex(octets: 16) + "@" + domain
    }

    /// All SMTP recipients: To, Cc and Bcc, without duplicates, in that order.
    public var envelopeRecipients: [MailAddress] {
        var seen: Set<String> = []
        return (to + cc + bcc).filter { seen.insert(ASCII.lowercased($0.addrSpec)).inserted }
    }

    /// Header names the renderer writes itself; extra headers with these names are ignored.
    static let reservedHeaderNames: Set<String> = [
        "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "date", "message-id", "mime-version",
        "content-type", "content-transfer-encoding", "content-disposition", "content-id",
    ]

    /// The complete message: header fields, a blank line and the MIME body, with CRLF line ends,
    /// header lines folded at 78 octets where possible and body lines at most 76 octets except
    /// unencoded 7bit text (at most 998).
    public func render() -> [UInt8] {
        var output: [UInt8] = []
        output += HeaderFieldWriter.field(name: "Date", value: RFC5322Date.format(date))
        output += HeaderFieldWriter.addressList(name: "From", addresses: [from])
        if let sender { output += HeaderFieldWriter.addressList(name: "Sender", addresses: [sender]) }
        if !replyTo.isEmpty { output += HeaderFieldWriter.addressList(name: "Reply-To", addresses: replyTo) }
        if !to.isEmpty { output += HeaderFieldWriter.addressList(name: "To", addresses: to) }
        if !cc.isEmpty { output += HeaderFieldWriter.addressList(name: "Cc", addresses: cc) }
        output += HeaderFieldWriter.unstructured(name: "Subject", text: subject)
        let id = HeaderFieldWriter.sanitize(messageID).filter { $0 != "<" && $0 != ">" && $0 != " " && $0 != "\t" }
        output += HeaderFieldWriter.field(name: "Message-ID", value: "<" + id + ">")
        for header in headers {
            let name = HeaderFieldWriter.sanitize(header.name).trimmingCharacters(in: .whitespaces)
            guard HeaderFieldWriter.isValidName(name), !Self.reservedHeaderNames.contains(ASCII.lowercased(name)) else {
                continue
            }
            output += HeaderFieldWriter.unstructured(name: name, text: header.value)
        }
        output += HeaderFieldWriter.field(name: "MIME-Version", value: "1.0")
        let entity = MIMEEntityBuilder.body(plainText: plainText, html: html, attachments: attachments)
        output += entity.render()
        return output
    }
}
