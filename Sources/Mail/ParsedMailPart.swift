/// One MIME entity of a parsed message: a leaf with its decoded content, or a multipart with children.
public struct ParsedMailPart: Sendable {
    /// The entity's header fields, unfolded, in order.
    public var headers: [MailHeaderField]
    /// The Content-Type (RFC 2045's `text/plain; charset=us-ascii` when absent or invalid).
    public var contentType: MIMEContentType
    /// The Content-Transfer-Encoding, lowercased (`7bit` when absent).
    public var contentTransferEncoding: String
    /// The body with the transfer encoding undone (empty for a multipart).
    public var decodedBody: [UInt8] = []
    /// For `text/*` leaves: the body decoded from its charset (octets that do not decode in it are
    /// read as UTF-8 or ISO-8859-1 instead).
    public var text: String?
    /// The parts of a multipart, in order.
    public var children: [ParsedMailPart] = []

    init(headers: [MailHeaderField], contentType: MIMEContentType, contentTransferEncoding: String) {
        self.headers = headers
        self.contentType = contentType
        self.contentTransferEncoding = contentTransferEncoding
    }

    /// The parsed Content-Disposition, if present.
    public var disposition: MIMEContentDisposition? {
        headers.value("Content-Disposition").map { MIMEContentDisposition(parsing: $0) }
    }

    /// The file name: the disposition's `filename`, else the Content-Type's `name` (encoded words decoded).
    public var filename: String? {
        (disposition?.filename ?? contentType.parameters["name"]).map { EncodedWords.decode($0) }
    }

    /// The Content-ID without angle brackets.
    public var contentID: String? {
        headers.value("Content-ID").map { ASCII.trimmed($0.filter { $0 != "<" && $0 != ">" }) }
    }

    /// Whether this part is a multipart (it may still have no children if it was empty or truncated).
    public var isMultipart: Bool { contentType.isMultipart }

    /// For a `message/rfc822` (or `message/global`) part: the enclosed message, parsed.
    public var embeddedMessage: ParsedMailMessage? {
        guard contentType.type == "message", contentType.subtype == "rfc822" || contentType.subtype == "global" else {
            return nil
        }
        return MailParser.parse(decodedBody)
    }

    /// All leaves under this part (itself when it is a leaf), depth first.
    public var leaves: [ParsedMailPart] {
        children.isEmpty ? [self] : children.flatMap(\.leaves)
    }

    /// Every part in the tree, this one first, depth first.
    public var allParts: [ParsedMailPart] { [self] + children.flatMap(\.allParts) }
}
