import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import Switchboard

/// The webhook call connects to the address the policy checked: a name that resolves to an allowed address when
/// checked and to a forbidden one a moment later (DNS rebinding) never reaches the forbidden one.
@Suite struct WebhookPinningTests {
    typealias IP = WebhookAddressPolicy.IPAddress

    /// A resolver that answers `first` once and `then` ever after, counting its calls.
    final class RebindingResolver: Sendable {
        let calls = Atomic<Int>(0)
        let first: [IP]
        let then: [IP]

        init(first: [IP], then: [IP]) {
            self.first = first
            self.then = then
        }

        var resolver: HostResolver {
            HostResolver { [self] name in
                guard name == "rebind.invalid" else { throw WebhookAddressRefused(reason: "unknown name \(name)") }
                return self.calls.add(1, ordering: .relaxed).newValue == 1 ? self.first : self.then
            }
        }
    }

    /// A receiver on a loopback port that records the `Host` of every call.
    func withReceiver(_ body: @Sendable (Int, @escaping @Sendable () -> [String]) async throws -> Void) async throws {
        let hosts = Mutex<[String]>([])
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            hosts.withLock { $0.append(request.head.authority ?? "") }
            return .ok
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(port) { hosts.withLock { $0 } }
        }
    }

    /// Runs `body` with pinned connections that are shut down however it ends: an HTTP client left running when it is
    /// released stops the whole test process (AsyncHTTPClient checks this in debug builds).
    func withConnections(_ body: (WebhookConnections) async throws -> Void) async throws {
        let connections = WebhookConnections(configuration: .init(redirectConfiguration: .disallow))
        do {
            try await body(connections)
        } catch {
            await connections.shutdown()
            throw error
        }
        await connections.shutdown()
    }

    /// Generous: the suites run side by side on two cores, and a call only has to arrive.
    static let timeout = Duration.seconds(60)

    @Test func theCallConnectsToTheCheckedAddressWithTheNameAsHost() async throws {
        try await withReceiver { port, hosts in
            try await withConnections { connections in
                let rebinding = RebindingResolver(first: [IP("127.0.0.1")!], then: [IP("169.254.169.254")!])
                let client = WebhookClient(connections: connections, timeout: Self.timeout, addresses: .init(resolver: rebinding.resolver))
                // The name does not resolve anywhere but through the policy's resolver: a client that resolved it again
                // on its own would fail to connect.
                let reply = try await client.send(.POST, to: "http://REBIND.invalid:\(port)/hook", headers: [], body: Data("{}".utf8))
                #expect(reply.status == 200)
                #expect(hosts() == ["rebind.invalid:\(port)"])
                #expect(rebinding.calls.load(ordering: .relaxed) == 1, "one resolution per call: the one that was checked")

                // The name now resolves to the cloud metadata address: refused before any connection, even though a
                // connection to the earlier address is still open in the pool.
                await #expect(throws: WebhookAddressRefused.self) {
                    _ = try await client.send(.POST, to: "http://rebind.invalid:\(port)/hook", headers: [], body: Data("{}".utf8))
                }
                #expect(hosts().count == 1)
            }
        }
    }

    @Test func aNameWithAnyForbiddenAddressIsRefusedWithoutAConnection() async throws {
        try await withReceiver { port, hosts in
            try await withConnections { connections in
                let mixed = RebindingResolver(first: [IP("127.0.0.1")!, IP("fe80::1")!], then: [])
                let client = WebhookClient(connections: connections, timeout: Self.timeout, addresses: .init(resolver: mixed.resolver))
                await #expect(throws: WebhookAddressRefused.self) {
                    _ = try await client.send(.POST, to: "http://rebind.invalid:\(port)/hook", headers: [], body: nil)
                }
                #expect(hosts().isEmpty)
            }
        }
    }
}
