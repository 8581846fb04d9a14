/// Why an SMTP client operation failed.
///
/// Replies that refuse one message or one recipient are not errors: `SMTPConnection.send`
/// reports them in its `SMTPTransactionResult`. These cases are failures of the session itself —
/// the connection, the protocol, a timeout or a requirement the server cannot meet.
public enum SMTPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connection closed (or was closed after an earlier failure).
    case connectionClosed
    /// The TCP connection could not be made; the text describes the underlying error.
    case connectionFailed(String)
    /// No reply arrived within the configured time for this stage (`greeting`, `MAIL`, `RCPT`,
    /// `DATA`, `data block`, `DATA termination`, `connect`, `TLS handshake`, …).
    case timeout(stage: String)
    /// The server greeted with something other than 220 (typically 554 or 421).
    case greetingRejected(SMTPReply)
    /// TLS was required but the server did not advertise STARTTLS.
    case startTLSRequiredButNotOffered
    /// The server refused STARTTLS when TLS was required.
    case startTLSFailed(SMTPReply)
    /// The TLS handshake failed; the text describes the TLS error.
    case tlsHandshakeFailed(String)
    /// Credentials were configured but the server offers neither AUTH PLAIN nor AUTH LOGIN.
    case authenticationNotOffered
    /// Credentials were configured but the connection is not encrypted and
    /// `allowInsecureAuthentication` is false.
    case authenticationRequiresTLS
    /// The server refused the credentials (or the AUTH exchange).
    case authenticationFailed(SMTPReply)
    /// A reply the session cannot continue from, at the given stage.
    case unexpectedReply(stage: String, SMTPReply)
    /// The message is larger than the server's advertised SIZE limit.
    case messageTooLarge(limit: Int)
    /// The message needs BODY=8BITMIME and the server does not offer 8BITMIME.
    case eightBitMIMENotSupported
    /// The envelope needs SMTPUTF8 and the server does not offer it.
    case smtpUTF8NotSupported
    /// A line of the message is longer than `limit` octets without its CRLF (RFC 5321
    /// §4.5.3.1.6: 998); it must be encoded (quoted-printable or base64) before it is sent.
    case lineTooLong(limit: Int)
    /// An address cannot be written as an SMTP path.
    case invalidAddress(String)
    /// The server sent something that is not a valid reply.
    case malformedReply(String)
    /// Another operation is already running on this connection; operations run one at a time.
    case connectionBusy

    /// A short English description, safe to log (no credentials).
    public var description: String {
        switch self {
        case .connectionClosed: "connection closed"
        case .connectionFailed(let detail): "connection failed: \(detail)"
        case .timeout(let stage): "timed out waiting for \(stage)"
        case .greetingRejected(let reply): "greeting rejected: \(reply)"
        case .startTLSRequiredButNotOffered: "STARTTLS required but not offered"
        case .startTLSFailed(let reply): "STARTTLS refused: \(reply)"
        case .tlsHandshakeFailed(let detail): "TLS handshake failed: \(detail)"
        case .authenticationNotOffered: "no supported AUTH mechanism offered (PLAIN or LOGIN)"
        case .authenticationRequiresTLS: "refusing to authenticate over an unencrypted connection"
        case .authenticationFailed(let reply): "authentication failed: \(reply)"
        case .unexpectedReply(let stage, let reply): "unexpected reply to \(stage): \(reply)"
        case .messageTooLarge(let limit): "message larger than the server's limit of \(limit) octets"
        case .eightBitMIMENotSupported: "message needs 8BITMIME, which the server does not offer"
        case .smtpUTF8NotSupported: "envelope needs SMTPUTF8, which the server does not offer"
        case .lineTooLong(let limit): "message has a line longer than \(limit) octets"
        case .invalidAddress(let address): "invalid address: \(address)"
        case .malformedReply(let detail): "malformed reply: \(detail)"
        case .connectionBusy: "another operation is running on this connection"
        }
    }

    /// The server's reply when the failure is a refusal (greeting, STARTTLS, AUTH or an
    /// unexpected reply), so callers can tell a transient (4xx) from a permanent (5xx) one.
    public var reply: SMTPReply? {
        switch self {
        case .greetingRejected(let reply), .startTLSFailed(let reply), .authenticationFailed(let reply), .unexpectedReply(_, let reply):
            reply
        default:
            nil
        }
    }
}
