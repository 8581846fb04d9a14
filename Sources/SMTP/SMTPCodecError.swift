/// A framing or syntax error found by the SMTP codecs. Such an error leaves the byte stream
/// unsynchronised, so the connection that produced it is normally closed.
public enum SMTPCodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A line longer than `limit` octets (including CRLF) arrived.
    case lineTooLong(limit: Int)
    /// A reply line is not `ddd`, `ddd text` or `ddd-text`, or a multi-line reply changed code.
    case malformedReply(String)
    /// A multi-line reply had more than `limit` lines.
    case tooManyReplyLines(limit: Int)

    /// A short English description.
    public var description: String {
        switch self {
        case .lineTooLong(let limit): "line longer than \(limit) octets"
        case .malformedReply(let detail): "malformed reply: \(detail)"
        case .tooManyReplyLines(let limit): "reply with more than \(limit) lines"
        }
    }
}
