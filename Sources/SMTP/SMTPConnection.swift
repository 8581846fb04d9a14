import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// One client session with an SMTP server (RFC 5321): greeting, EHLO, STARTTLS, AUTH, then any
/// number of mail transactions in sequence, then QUIT.
///
/// Operations run one at a time; starting one while another is running throws
/// `SMTPError.connectionBusy`. A timeout, a malformed reply or a lost connection closes the
/// connection (its state is unknown afterwards) and `isOpen` becomes false; refusals of a sender,
/// a recipient or a message do not — see `send(_:message:)`.
public final class SMTPConnection: Sendable {
    /// The configuration the session was opened with.
    public let configuration: SMTPClientConfiguration
    /// The server's 220 greeting.
    public let greeting: SMTPReply
    /// What the server offered in its last EHLO reply (after STARTTLS, the one sent over TLS).
    public let capabilities: SMTPServerCapabilities
    /// Whether TLS protects the connection (implicit TLS or a successful STARTTLS).
    public let isTLS: Bool
    /// The name the server gave in its greeting (its first word), or the configured host.
    public let remoteHostname: String
    /// The user name the session authenticated as, if it did.
    public let authenticatedUsername: String?

    let session: SMTPClientSession
    let logger: Logger
    private let busy = Mutex(false)
    private let transactionsStarted = Mutex(0)

    private init(
        configuration: SMTPClientConfiguration, session: SMTPClientSession, logger: Logger, state: SMTPClientHandshake.Outcome
    ) {
        self.configuration = configuration
        self.session = session
        self.logger = logger
        self.greeting = state.greeting
        self.capabilities = state.capabilities
        self.isTLS = state.isTLS
        self.authenticatedUsername = state.authenticatedUsername
        let name = state.greeting.lines.first?.split(separator: " ").first.map(String.init)
        self.remoteHostname = name ?? configuration.host
    }

    /// Connects to `configuration.host:port`, reads the greeting, says EHLO (HELO when EHLO is
    /// refused with 500 or 502), upgrades with STARTTLS as `configuration.tls` says and says EHLO
    /// again, and authenticates when credentials are configured.
    ///
    /// - Throws: `SMTPError`; the connection is closed when this throws.
    public static func connect(
        configuration: SMTPClientConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) async throws -> SMTPConnection {
        var logger = logger
        logger[metadataKey: "smtp.server"] = "\(configuration.host):\(configuration.port)"
        let sslContext = try makeSSLContext(configuration)
        let implicitSNI = configuration.tls == .implicit ? sniName(configuration.effectiveServerName) : nil
        let handlerLogger = logger
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoopGroup)
                .connectTimeout(TimeAmount(configuration.timeouts.connect))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if configuration.tls == .implicit, let sslContext {
                            let tls = try NIOSSLClientHandler(context: sslContext, serverHostname: implicitSNI)
                            try channel.pipeline.syncOperations.addHandler(tls)
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            makeHandler(channel: channel, configuration: configuration, logger: handlerLogger))
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
        } catch ChannelError.connectTimeout {
            throw SMTPError.timeout(stage: "connect")
        } catch let error as SMTPError {
            throw error
        } catch {
            throw SMTPError.connectionFailed(String(describing: error))
        }
        let handler: NIOLoopBound<SMTPClientHandler>
        do {
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: SMTPClientHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            try? await channel.close()
            throw SMTPError.connectionClosed
        }
        return try await establish(channel: channel, handler: handler, configuration: configuration, logger: logger)
    }

    /// Runs the session over a channel the caller has connected, which must not have read
    /// anything yet (for example an in-memory test channel). The SMTP handler is appended to its
    /// pipeline; for `.implicit` TLS the caller adds the TLS handler first. `host` and `port` of
    /// the configuration are not used.
    public static func start(channel: any Channel, configuration: SMTPClientConfiguration, logger: Logger) async throws -> SMTPConnection {
        let handler = try await attachHandler(to: channel, configuration: configuration, logger: logger)
        return try await establish(channel: channel, handler: handler, configuration: configuration, logger: logger)
    }

    /// The first half of `start`: adds the SMTP handler, which from then on reads the greeting.
    static func attachHandler(
        to channel: any Channel, configuration: SMTPClientConfiguration, logger: Logger
    ) async throws -> NIOLoopBound<SMTPClientHandler> {
        try await channel.eventLoop.submit {
            let handler = makeHandler(channel: channel, configuration: configuration, logger: logger)
            try channel.pipeline.syncOperations.addHandler(handler)
            return NIOLoopBound(handler, eventLoop: channel.eventLoop)
        }.get()
    }

    /// The second half of `start`: greeting, EHLO, STARTTLS and AUTH over an attached handler.
    static func establish(
        channel: any Channel, handler: NIOLoopBound<SMTPClientHandler>, configuration: SMTPClientConfiguration, logger: Logger
    ) async throws -> SMTPConnection {
        let sslContext = try makeSSLContext(configuration)
        let session = SMTPClientSession(channel: channel, handler: handler, timeouts: configuration.timeouts)
        let handshake = SMTPClientHandshake(session: session, configuration: configuration, sslContext: sslContext, logger: logger)
        let outcome = try await handshake.run()
        return SMTPConnection(configuration: configuration, session: session, logger: logger, state: outcome)
    }

    private static func makeHandler(channel: any Channel, configuration: SMTPClientConfiguration, logger: Logger) -> SMTPClientHandler {
        SMTPClientHandler(
            eventLoop: channel.eventLoop, greetingTimeout: TimeAmount(configuration.timeouts.greeting),
            implicitTLS: configuration.tls == .implicit, logger: logger)
    }

    private static func makeSSLContext(_ configuration: SMTPClientConfiguration) throws(SMTPError) -> NIOSSLContext? {
        guard configuration.tls != .none else { return nil }
        do {
            return try NIOSSLContext(configuration: configuration.tlsConfiguration)
        } catch {
            throw .tlsHandshakeFailed("invalid TLS configuration: \(error)")
        }
    }

    /// SNI carries host names only (RFC 6066 §3).
    static func sniName(_ name: String) -> String? {
        (try? SocketAddress(ipAddress: name, port: 0)) == nil ? name : nil
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { session.channel.isActive }

    /// Counts a transaction as started; true when one came before it on this connection, so the
    /// server's state must be reset first.
    func startTransaction() -> Bool {
        transactionsStarted.withLock { count in
            defer { count += 1 }
            return count > 0
        }
    }

    /// Runs `body` unless another operation is running.
    func exclusively<T>(_ body: () async throws -> T) async throws -> T {
        let acquired = busy.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard acquired else { throw SMTPError.connectionBusy }
        defer { busy.withLock { $0 = false } }
        return try await body()
    }
}
