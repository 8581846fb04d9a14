import Foundation

/// How the server's HTTP edge protects itself: how long a client may take at each step of a connection, how many
/// connections it holds at once, and which host names requests may name.
///
/// The defaults let every well-behaved client through (a slow mobile network completes a TLS handshake in well under
/// ten seconds) while a client that connects and sends nothing, or trickles a request, holds its connection for
/// seconds rather than for ever.
public struct EdgeConfiguration: Sendable, Equatable {
    /// From accepting a connection to the end of its TLS handshake.
    public var tlsHandshakeTimeout: Duration = .seconds(10)
    /// From accepting a connection to the end of its first request's head (request line and headers).
    public var headerTimeout: Duration = .seconds(20)
    /// While a request body is being received: the longest silence between two reads.
    public var bodyTimeout: Duration = .seconds(30)
    /// After a response: how long a kept-alive connection may wait for the next request's head.
    public var idleTimeout: Duration = .seconds(60)
    /// Connections held at once; a further connection is closed as soon as it is accepted.
    public var maxConnections = 10_000
    /// Host names requests may name besides those the server derives from its configuration and certificate (a
    /// proxy's name, say).
    public var allowedHosts: [String] = []

    public init() {}

    /// The longest request target (path and query) served: longer ones are answered 414. The SDKs' longest
    /// targets (a list's `nextLink` with a continuation token) are well under a kilobyte.
    public static let maximumTargetLength = 16 * 1024
}
