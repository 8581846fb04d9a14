/// A command a client sends (RFC 5321 §4.1, RFC 3207 STARTTLS, RFC 4954 AUTH).
///
/// `line` is the wire text without CRLF. `description` is safe to log: it never shows AUTH
/// payloads.
public enum SMTPCommand: Sendable, Equatable, CustomStringConvertible {
    /// `EHLO domain`.
    case ehlo(String)
    /// `HELO domain`.
    case helo(String)
    /// `STARTTLS`.
    case startTLS
    /// `AUTH mechanism [initial-response]`; the initial response is base64 already.
    case auth(mechanism: String, initialResponse: String?)
    /// One line answering a 334 challenge during AUTH: base64 text, or `*` to cancel.
    case authResponse(String)
    /// `MAIL FROM:<path> [parameters]`.
    case mail(from: SMTPPath, parameters: [String])
    /// `RCPT TO:<path> [parameters]`.
    case rcpt(to: SMTPPath, parameters: [String])
    /// `DATA`.
    case data
    /// `RSET`.
    case rset
    /// `NOOP`.
    case noop
    /// `QUIT`.
    case quit
    /// `VRFY string`.
    case vrfy(String)

    /// The command line as sent, without the CRLF.
    public var line: String {
        switch self {
        case .ehlo(let domain): "EHLO \(domain)"
        case .helo(let domain): "HELO \(domain)"
        case .startTLS: "STARTTLS"
        case .auth(let mechanism, let initialResponse?): "AUTH \(mechanism) \(initialResponse)"
        case .auth(let mechanism, nil): "AUTH \(mechanism)"
        case .authResponse(let response): response
        case .mail(let path, let parameters): (["MAIL FROM:\(path.formatted)"] + parameters).joined(separator: " ")
        case .rcpt(let path, let parameters): (["RCPT TO:\(path.formatted)"] + parameters).joined(separator: " ")
        case .data: "DATA"
        case .rset: "RSET"
        case .noop: "NOOP"
        case .quit: "QUIT"
        case .vrfy(let string): "VRFY \(string)"
        }
    }

    /// The command for logs: AUTH payloads are replaced by `<redacted>`.
    public var description: String {
        switch self {
        case .auth(let mechanism, .some): "AUTH \(mechanism) <redacted>"
        case .authResponse: "<redacted>"
        default: line
        }
    }
}
