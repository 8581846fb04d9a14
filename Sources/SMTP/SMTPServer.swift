import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A small SMTP server (RFC 5321) for inbound mail: it greets, answers EHLO with PIPELINING,
/// SIZE, 8BITMIME, SMTPUTF8, ENHANCEDSTATUSCODES and, as configured, STARTTLS and AUTH PLAIN
/// LOGIN, and hands each sender, recipient and message to its delegate.
public final class SMTPServer: Sendable {
    /// The address the server listens on.
    public let localAddress: SocketAddress
    private let channel: any Channel
    private let connections: ConnectionSet

    private init(channel: any Channel, localAddress: SocketAddress, connections: ConnectionSet) {
        self.channel = channel
        self.localAddress = localAddress
        self.connections = connections
    }

    /// The port the server listens on (useful with `port: 0`).
    public var port: Int { localAddress.port ?? 0 }

    /// Binds `configuration.host:port` and starts accepting connections.
    /// - Throws: the bind error, or NIOSSL's error for an invalid `tlsConfiguration`.
    public static func start(
        configuration: SMTPServerConfiguration, delegate: any SMTPServerDelegate,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, logger: Logger
    ) async throws -> SMTPServer {
        let sslContext = try configuration.tlsConfiguration.map { try NIOSSLContext(configuration: $0) }
        let connections = ConnectionSet()
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                connections.insert(channel)
                var logger = logger
                logger[metadataKey: "smtp.client"] = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
                let handler = SMTPServerHandler(configuration: configuration, delegate: delegate, sslContext: sslContext, logger: logger)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        guard let localAddress = channel.localAddress else {
            try? await channel.close()
            throw SMTPError.connectionFailed("listening socket has no local address")
        }
        logger.info("SMTP server listening", metadata: ["smtp.address": "\(localAddress)"])
        return SMTPServer(channel: channel, localAddress: localAddress, connections: connections)
    }

    /// Stops listening, closes every open connection and waits until they are closed.
    public func shutdown() async {
        try? await channel.close()
        for connection in connections.all() {
            connection.close(promise: nil)
            try? await connection.closeFuture.get()
        }
    }
}

/// The server's open connections, so `shutdown()` can close them.
private final class ConnectionSet: Sendable {
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    func insert(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        channels.withLock { $0[key] = channel }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: key) }
        }
    }

    func all() -> [any Channel] {
        channels.withLock { Array($0.values) }
    }
}
