import NIOSSL

/// How an `SMTPServer` listens and what it offers.
public struct SMTPServerConfiguration: Sendable {
    /// The address to bind, such as `127.0.0.1` or `0.0.0.0`.
    public var host: String
    /// The port to bind; 0 picks a free port (see `SMTPServer.port`).
    public var port: Int
    /// The server's name in its greeting and EHLO reply.
    public var hostname: String
    /// The largest message accepted, in octets; advertised with SIZE (RFC 1870).
    public var maxMessageSize: Int
    /// When set, STARTTLS (RFC 3207) is advertised and supported with these settings.
    public var tlsConfiguration: TLSConfiguration?
    /// Refuses everything but EHLO, NOOP, STARTTLS, RSET and QUIT with 530 5.7.0 until TLS is up.
    public var requireTLS: Bool
    /// Checks a user name and password; when set, AUTH PLAIN and LOGIN (RFC 4954) are advertised.
    public var authenticator: (@Sendable (_ username: String, _ password: String) async -> Bool)?
    /// Refuses MAIL with 530 5.7.0 until the client has authenticated.
    public var requireAuthentication: Bool
    /// The AUTH mechanisms advertised and accepted, from `PLAIN` and `LOGIN`.
    public var authMechanisms: [String]
    /// Offers AUTH over an unencrypted connection too. Off by default: passwords would travel in
    /// the clear.
    public var allowInsecureAuthentication: Bool
    /// How long the server waits for the next command or the next block of message data before
    /// answering 421 and closing (RFC 5321 §4.5.3.2.7: at least 5 minutes).
    public var idleTimeout: Duration
    /// The most recipients accepted in one transaction; more get 452 4.5.3 (RFC 5321 §4.5.3.1.8
    /// requires at least 100).
    public var maxRecipients: Int
    /// After this many refused commands (syntax, sequence or unknown) the server says 421 and
    /// closes.
    public var maxErrors: Int
    /// The longest command line accepted, CRLF included (RFC 5321 §4.5.3.1.4: 512).
    public var maxCommandLineLength: Int

    /// A configuration; only `hostname` has no default.
    public init(
        host: String = "127.0.0.1", port: Int = 25, hostname: String, maxMessageSize: Int = 10 * 1024 * 1024,
        tlsConfiguration: TLSConfiguration? = nil, requireTLS: Bool = false,
        authenticator: (@Sendable (_ username: String, _ password: String) async -> Bool)? = nil, requireAuthentication: Bool = false,
        authMechanisms: [String] = ["PLAIN", "LOGIN"], allowInsecureAuthentication: Bool = false, idleTimeout: Duration = .seconds(300),
        maxRecipients: Int = 100, maxErrors: Int = 10,
        maxCommandLineLength: Int = 512
    ) {
        self.host = host
        self.port = port
        self.hostname = hostname
        self.maxMessageSize = maxMessageSize
        self.tlsConfiguration = tlsConfiguration
        self.requireTLS = requireTLS
        self.authenticator = authenticator
        self.requireAuthentication = requireAuthentication
        self.authMechanisms = authMechanisms
        self.allowInsecureAuthentication = allowInsecureAuthentication
        self.idleTimeout = idleTimeout
        self.maxRecipients = maxRecipients
        self.maxErrors = maxErrors
        self.maxCommandLineLength = maxCommandLineLength
    }
}
