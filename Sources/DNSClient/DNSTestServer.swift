import NIOCore
import NIOPosix
import Synchronization

/// A small authoritative DNS server on a loopback port, for tests: UDP and TCP on the same port,
/// answering from an in-memory `DNSTestZone`. It also offers recursion in its answers, so a
/// `DNSResolver` can be pointed straight at it (`resolverConfiguration()`).
///
/// Knobs make it misbehave the ways real resolvers do: truncate UDP answers to force TCP, answer
/// every query with SERVFAIL or REFUSED, stay silent, drop the first datagrams, or send a forged
/// answer before the real one.
public final class DNSTestServer: Sendable {
    /// How queries are answered.
    public enum Behaviour: Sendable, Hashable {
        /// From the zone.
        case answer
        /// With this response code and no records (SERVFAIL, REFUSED, …), over UDP and TCP.
        case respond(DNSResponseCode)
        /// Not at all, over UDP and TCP: the client must time out.
        case silent
        /// FORMERR without an OPT record to queries that carry one, from the zone otherwise: a
        /// server from before EDNS (RFC 6891 §7).
        case rejectEDNS
    }

    /// A forged NXDOMAIN sent just before each real UDP answer; the client must ignore it.
    public enum Decoy: Sendable, Hashable {
        /// The query's id plus one.
        case wrongID
        /// The right id, sent from another port of the server's host.
        case wrongSource
        /// The right id and source, but another question.
        case wrongQuestion
    }

    /// A query the server received.
    public struct ReceivedQuery: Sendable, Hashable {
        public enum Transport: Sendable, Hashable { case udp, tcp }
        public var transport: Transport
        public var id: UInt16
        public var questions: [DNSQuestion]
        public var edns: DNSEDNS?
    }

    /// Where the server listens (UDP and TCP share the port).
    public let address: DNSServerAddress

    private let core: DNSTestServerCore
    private let channels: [any Channel]

    private init(core: DNSTestServerCore, channels: [any Channel], address: DNSServerAddress) {
        self.core = core
        self.channels = channels
        self.address = address
    }

    /// Starts a server on `host` (loopback by default) and an ephemeral port free for both UDP
    /// and TCP. Call `shutdown()` when done.
    public static func start(
        zone: DNSTestZone = DNSTestZone(), host: String = "127.0.0.1",
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> DNSTestServer {
        let core = DNSTestServerCore(zone: zone)
        // The kernel picks a free UDP port; the same TCP port is usually free too, but another
        // process may hold it, so try a few ports before giving up.
        var lastError: (any Error)?
        for _ in 0..<8 {
            let udp = try await DatagramBootstrap(group: eventLoopGroup)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(DNSTestServerUDPHandler(core: core))
                    }
                }
                .bind(host: host, port: 0).get()
            guard let port = udp.localAddress?.port else {
                try? await udp.close()
                continue
            }
            do {
                let tcp = try await ServerBootstrap(group: eventLoopGroup)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelInitializer { channel in
                        core.state.withLock { $0.connections.append(channel) }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(DNSTCPFrameEncoder()))
                            try channel.pipeline.syncOperations.addHandler(DNSTestServerTCPHandler(core: core))
                        }
                    }
                    .bind(host: host, port: port).get()
                let decoy = try await DatagramBootstrap(group: eventLoopGroup).bind(host: host, port: 0).get()
                core.decoyChannel.withLock { $0 = decoy }
                let address = try DNSServerAddress(host: host, port: port)
                return DNSTestServer(core: core, channels: [udp, tcp, decoy], address: address)
            } catch {
                lastError = error
                try? await udp.close()
            }
        }
        throw lastError ?? DNSConfigurationError.invalidHost(host)
    }

    /// Stops listening and closes open TCP connections.
    public func shutdown() async {
        for channel in channels {
            try? await channel.close()
        }
        for connection in core.state.withLock({ $0.connections }) {
            try? await connection.close()
        }
    }

    /// A resolver configuration pointing at this server, with short defaults suited to tests.
    public func resolverConfiguration(
        timeout: Duration = .milliseconds(500), attempts: Int = 2,
        ednsUDPPayloadSize: UInt16? = DNSEDNS.defaultUDPPayloadSize
    ) -> DNSResolverConfiguration {
        DNSResolverConfiguration(server: address, timeout: timeout, attempts: attempts, ednsUDPPayloadSize: ednsUDPPayloadSize)
    }

    // MARK: Zone

    /// The zone answered from.
    public var zone: DNSTestZone {
        get { core.state.withLock { $0.zone } }
        set { core.state.withLock { $0.zone = newValue } }
    }

    /// Adds records to the zone (a customer publishing a TXT record, say).
    public func add(_ records: DNSResourceRecord...) {
        core.state.withLock { $0.zone.records += records }
    }

    /// Removes every record owned by `name`, of `type` when given.
    public func removeRecords(named name: DNSName, type: DNSRecordType? = nil) {
        core.state.withLock { state in
            state.zone.records.removeAll { $0.name == name && (type == nil || $0.type == type) }
        }
    }

    // MARK: Behaviour

    /// How queries are answered from now on.
    public var behaviour: Behaviour {
        get { core.state.withLock { $0.behaviour } }
        set { core.state.withLock { $0.behaviour = newValue } }
    }

    /// Truncate UDP answers above this many octets (`nil`: the client's EDNS size, or 512).
    public var truncateUDPAbove: Int? {
        get { core.state.withLock { $0.truncateUDPAbove } }
        set { core.state.withLock { $0.truncateUDPAbove = newValue } }
    }

    /// Ignore the next `count` UDP queries, as a lossy network would.
    public func dropNextUDPQueries(_ count: Int) {
        core.state.withLock { $0.udpQueriesToDrop = count }
    }

    /// Send this forged answer before each real UDP answer (`nil` to stop).
    public var decoy: Decoy? {
        get { core.state.withLock { $0.decoy } }
        set { core.state.withLock { $0.decoy = newValue } }
    }

    /// Every query received so far, in arrival order, dropped and unanswered ones included.
    public var receivedQueries: [ReceivedQuery] {
        core.state.withLock { $0.received }
    }
}
