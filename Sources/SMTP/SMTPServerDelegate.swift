import NIOCore

/// What the server knows about the client when it asks its delegate.
public struct SMTPSessionInfo: Sendable, Equatable {
    /// The client's address.
    public var remoteAddress: SocketAddress?
    /// The name the client gave in EHLO or HELO.
    public var heloName: String?
    /// Whether the session runs over TLS.
    public var isTLS: Bool
    /// The user name the client authenticated as, if it did.
    public var authenticatedUsername: String?

    /// Session information.
    public init(remoteAddress: SocketAddress?, heloName: String? = nil, isTLS: Bool = false, authenticatedUsername: String? = nil) {
        self.remoteAddress = remoteAddress
        self.heloName = heloName
        self.isTLS = isTLS
        self.authenticatedUsername = authenticatedUsername
    }
}

/// The envelope of a received message.
public struct SMTPReceivedEnvelope: Sendable, Equatable {
    /// The reverse-path without angle brackets; `""` for the null sender `<>`.
    public var reversePath: String
    /// MAIL FROM's parameters, keywords upper-cased (`SIZE`, `BODY`, `SMTPUTF8`, …); a keyword
    /// without a value maps to `""`.
    public var mailParameters: [String: String]
    /// The accepted recipients in order.
    public var recipients: [String]

    /// An envelope.
    public init(reversePath: String, mailParameters: [String: String], recipients: [String]) {
        self.reversePath = reversePath
        self.mailParameters = mailParameters
        self.recipients = recipients
    }
}

/// Decides what an `SMTPServer` accepts. Each answer is sent to the client as it is (a reply
/// without an enhanced status code gets `x.0.0`); a positive (2xx) answer accepts.
public protocol SMTPServerDelegate: Sendable {
    /// MAIL FROM. `reversePath` is `""` for `<>`. The default accepts every sender.
    func mailFrom(_ reversePath: String, parameters: [String: String], session: SMTPSessionInfo) async -> SMTPReply
    /// RCPT TO, once per recipient. The default accepts every recipient.
    func recipient(_ forwardPath: String, session: SMTPSessionInfo) async -> SMTPReply
    /// A complete message: `data` is un-dot-stuffed with its CRLF line endings. Return 250 once
    /// the message is safely stored.
    func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async -> SMTPReply
}

extension SMTPServerDelegate {
    public func mailFrom(_ reversePath: String, parameters: [String: String], session: SMTPSessionInfo) async -> SMTPReply {
        SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 0), text: "Sender OK")
    }

    public func recipient(_ forwardPath: String, session: SMTPSessionInfo) async -> SMTPReply {
        SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 5), text: "Recipient OK")
    }
}
