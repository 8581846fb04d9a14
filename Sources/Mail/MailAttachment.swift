/// A file carried by a message: an attachment, or an inline part (an image the HTML refers to as
/// `cid:…`) when ``contentID`` is set.
public struct MailAttachment: Sendable, Hashable {
    /// The file name offered to the recipient (any Unicode; RFC 2231-encoded when not ASCII).
    public var name: String
    /// The media type, such as `application/pdf` or `image/png`; an invalid one is sent as `application/octet-stream`.
    public var contentType: String
    /// The file's octets, sent base64-encoded.
    public var data: [UInt8]
    /// The Content-ID (without angle brackets) that makes this an inline part of a `multipart/related` body.
    public var contentID: String?

    /// An attachment, or an inline part when `contentID` is given.
    public init(name: String, contentType: String, data: [UInt8], contentID: String? = nil) {
        self.name = name
        self.contentType = contentType
        self.data = data
        self.contentID = contentID
    }

    /// Whether the part is inline (it has a Content-ID) rather than a download.
    public var isInline: Bool { contentID != nil }
}
