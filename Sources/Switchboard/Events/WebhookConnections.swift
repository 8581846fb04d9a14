import AsyncHTTPClient
import ServiceLifecycle
import Synchronization

/// HTTP clients that connect a host name to one checked address: the pinned half of the webhook address policy.
///
/// AsyncHTTPClient resolves host names itself when it connects, after ``WebhookAddressPolicy`` has checked them; a
/// client whose `dnsOverride` maps the name to the checked address connects there instead, while still sending the
/// name as `Host` and as the TLS server name and verifying the certificate against it (an address literal maps to
/// itself). One client is kept per name
/// and address, so connections to a receiver are reused; the least recently used idle ones are shut down past
/// ``kept``.
public final class WebhookConnections: Sendable {
    private struct Entry {
        let client: HTTPClient
        var lastUsed: ContinuousClock.Instant
        var inUse: Int
    }

    private let configuration: HTTPClient.Configuration
    private let entries = Mutex<[String: Entry]>([:])
    static let kept = 64

    public init(configuration: HTTPClient.Configuration) {
        self.configuration = configuration
    }

    /// Runs `body` with the client that connects `host` to `address`.
    func withClient<T: Sendable>(host: String, address: String, _ body: (HTTPClient) async throws -> T) async throws -> T {
        let key = host + "\u{0}" + address
        let configuration = self.configuration
        let (client, evicted) = entries.withLock { entries -> (HTTPClient, [HTTPClient]) in
            if var entry = entries[key] {
                entry.inUse += 1
                entry.lastUsed = .now
                entries[key] = entry
                return (entry.client, [])
            }
            var pinned = configuration
            pinned.dnsOverride = [host: address]
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: pinned)
            entries[key] = Entry(client: client, lastUsed: .now, inUse: 1)
            guard entries.count > Self.kept else { return (client, []) }
            let idle = entries.filter { $0.value.inUse == 0 }.sorted { $0.value.lastUsed < $1.value.lastUsed }
            var evicted: [HTTPClient] = []
            for (name, entry) in idle.prefix(entries.count - Self.kept) {
                entries[name] = nil
                evicted.append(entry.client)
            }
            return (client, evicted)
        }
        for old in evicted { try? await old.shutdown() }
        defer {
            entries.withLock { entries in
                entries[key]?.inUse -= 1
                entries[key]?.lastUsed = .now
            }
        }
        return try await body(client)
    }

    /// Shuts every client down.
    public func shutdown() async {
        let clients = entries.withLock { entries in
            let clients = entries.values.map(\.client)
            entries = [:]
            return clients
        }
        for client in clients { try? await client.shutdown() }
    }
}

/// Shuts the webhook clients down once the server stops.
struct WebhookConnectionsService: Service {
    let connections: WebhookConnections

    func run() async throws {
        try? await gracefulShutdown()
        await connections.shutdown()
    }
}
