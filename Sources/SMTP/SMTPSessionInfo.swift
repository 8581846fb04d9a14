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
