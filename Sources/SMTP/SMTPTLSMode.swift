/// How a client connection uses TLS.
public enum SMTPTLSMode: Sendable, Equatable {
    /// Plain text throughout.
    case none
    /// STARTTLS (RFC 3207) after the first EHLO. With `required: false` the upgrade is
    /// opportunistic: the session stays in plain text when the server does not offer STARTTLS or
    /// refuses it with a reply. With `required: true` either is an error. A failed TLS handshake is
    /// always an error: the connection cannot be used afterwards.
    case startTLS(required: Bool)
    /// TLS from the first byte (RFC 8314 submissions, port 465).
    case implicit
}
