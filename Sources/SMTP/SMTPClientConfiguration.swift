import NIOSSL

/// Where and how an `SMTPConnection` connects.
public struct SMTPClientConfiguration: Sendable {
    /// The server's host name or IP address.
    public var host: String
    /// The server's port: 25 for relay, 587 for submission, 465 for implicit TLS.
    public var port: Int
    /// Whether and how TLS is used.
    public var tls: SMTPTLSMode
    /// TLS settings (trust roots, minimum version, certificate verification).
    public var tlsConfiguration: TLSConfiguration
    /// The name sent for SNI and checked against the server's certificate; `host` when `nil`.
    /// An IP address disables SNI (verification then uses the certificate's IP entries).
    public var serverName: String?
    /// The name this client gives in EHLO/HELO: its fully qualified domain name, or an address
    /// literal such as `[192.0.2.1]`.
    public var clientHostname: String
    /// Credentials for AUTH (PLAIN preferred, else LOGIN); `nil` to not authenticate.
    public var credentials: SMTPCredentials?
    /// Allows AUTH over an unencrypted connection. Off by default: the password would be sent in
    /// the clear.
    public var allowInsecureAuthentication: Bool
    /// Per-stage timeouts.
    public var timeouts: SMTPTimeouts

    /// A configuration; only `host` and `clientHostname` have no default.
    public init(
        host: String, port: Int = 25, tls: SMTPTLSMode = .startTLS(required: false),
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(), serverName: String? = nil,
        clientHostname: String, credentials: SMTPCredentials? = nil, allowInsecureAuthentication: Bool = false,
        timeouts: SMTPTimeouts = SMTPTimeouts()
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.tlsConfiguration = tlsConfiguration
        self.serverName = serverName
        self.clientHostname = clientHostname
        self.credentials = credentials
        self.allowInsecureAuthentication = allowInsecureAuthentication
        self.timeouts = timeouts
    }

    /// The name used for SNI and certificate verification.
    public var effectiveServerName: String { serverName ?? host }
}
