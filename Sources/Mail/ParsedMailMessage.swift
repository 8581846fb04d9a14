import Foundation

/// A parsed message: its header fields and MIME tree, with conveniences for the common fields.
public struct ParsedMailMessage: Sendable {
    /// The top-level entity; its headers are the message's headers.
    public var root: ParsedMailPart

    /// The message's header fields, unfolded, in order.
    public var headers: [MailHeaderField] { root.headers }

    /// The value of the first header field with this name (case-insensitive), encoded words kept.
    public func header(_ name: String) -> String? { headers.value(name) }

    /// The value of the first header field with this name, with RFC 2047 encoded words decoded.
    public func decodedHeader(_ name: String) -> String? { header(name).map { EncodedWords.decode($0) } }

    /// The decoded Subject.
    public var subject: String? { decodedHeader("Subject") }

    /// The From addresses.
    public var from: [MailAddress] { MailAddress.parseList(headers.values("From").joined(separator: ", ")) }
    /// The To addresses.
    public var to: [MailAddress] { MailAddress.parseList(headers.values("To").joined(separator: ", ")) }
    /// The Cc addresses.
    public var cc: [MailAddress] { MailAddress.parseList(headers.values("Cc").joined(separator: ", ")) }
    /// The Reply-To addresses.
    public var replyTo: [MailAddress] { MailAddress.parseList(headers.values("Reply-To").joined(separator: ", ")) }

    /// The Message-ID without angle brackets.
    public var messageID: String? {
        header("Message-ID").map { ASCII.trimmed($0.filter { $0 != "<" && $0 != ">" }) }
    }

    /// The Date, parsed.
    public var date: Date? { header("Date").flatMap { RFC5322Date.parse($0) } }

    /// The first `text/plain` leaf that is not an attachment.
    public var plainText: String? { bodyPart(subtype: "plain")?.text }

    /// The first `text/html` leaf that is not an attachment.
    public var html: String? { bodyPart(subtype: "html")?.text }

    /// Every leaf that is not the plain-text or HTML body: attachments, inline images, reports.
    public var attachments: [ParsedMailPart] {
        let leaves = root.leaves
        let bodyIndexes = Set([bodyIndex(in: leaves, subtype: "plain"), bodyIndex(in: leaves, subtype: "html")].compactMap { $0 })
        return leaves.enumerated().filter { !bodyIndexes.contains($0.offset) && !$0.element.isMultipart }.map(\.element)
    }

    private func bodyPart(subtype: String) -> ParsedMailPart? {
        let leaves = root.leaves
        return bodyIndex(in: leaves, subtype: subtype).map { leaves[$0] }
    }

    private func bodyIndex(in leaves: [ParsedMailPart], subtype: String) -> Int? {
        leaves.firstIndex { part in
            part.contentType.type == "text" && part.contentType.subtype == subtype && part.disposition?.isAttachment != true
                && part.filename == nil
        }
    }
}
