import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SQLKit
import Synchronization
import Testing

@testable import Switchboard

/// The capability seam: what a capability declares is what the platform serves, stores, delivers, keeps and
/// erases, with nothing to edit outside its own folder and the one list.
@Suite struct CapabilityTests {
    /// A capability that exists only here: one route, one public link, a delivery handler and a retention rule.
    struct PingCapability: Capability {
        static var storeMigrations: [Migration] { [] }
        static var resourceTables: [String] { [] }
        static let swept = Mutex(0)

        let accessKey: any Authenticator
        let changes: Changes

        init(platform: Platform) {
            accessKey = platform.accessKey
            changes = platform.changes
        }

        var routes: [Route] {
            let changes = changes
            return [
                Route(.post, "/pings", service: APIService(name: "ping", versions: ["2026-12-01"]), auth: accessKey) { request in
                    try await changes.run(in: request.resource) { tx in
                        try await Outbox.enqueue(
                            [NewOutboxItem(kind: "ping", target: "echo", deliveryID: "p", maxAttempts: 1, expiresAt: tx.now.adding(.seconds(60)))],
                            in: tx)
                    }
                    return Response(status: .accepted)
                }
            ]
        }

        var systemRoutes: [SystemRoute] {
            [SystemRoute(.get, "/ping", auth: NoCredentials()) { _ in try JSONBody.response(["pong": true]) }]
        }

        var outboxHandlers: [any OutboxHandler] { [PingHandler()] }

        var retentionRules: [RetentionRule] {
            [
                RetentionRule(name: "ping", data: "Pings", kept: "not at all", tables: []) { _, _ in
                    Self.swept.withLock {
                        $0 += 1; return 0
                    }
                }
            ]
        }
    }

    struct PingHandler: OutboxHandler {
        var kind: String { "ping" }
        var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(1)]) }
        var deadLetters: DeadLetterPolicy { .keepForAWeek }
        func batchLimit(target: String, resource: ResourceHandle) async -> Int { 1 }
        func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] { items.map { _ in DeliveryResult(.delivered) } }
        func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }
    }

    @Test func aCapabilityIsServedDeliveredAndSweptFromOneEntryInTheList() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let capabilities = Capabilities.all + [PingCapability.self]
            try await server.test(capabilities: capabilities) { client in
                #expect(try await dev.send(client, .post, "/pings?api-version=2026-12-01").status == .accepted)
                let pong = try await client.execute(uri: "/-/ping", method: .get)
                #expect(pong.json["pong"] as? Bool == true)
                // The identity routes are still there, and the new route is covered by the access-key check.
                #expect(try await dev.send(client, .post, "/pings?api-version=2026-12-01", key: dev.secondaryKey).status == .accepted)
                #expect(try await client.execute(uri: "/dev/pings?api-version=2026-12-01", method: .post).status == .unauthorized)
            }
            let assembly = try Assembly(runtime: server.runtime, capabilities: capabilities, httpClient: .shared)
            // The server's own worker (its services run during the test) may have delivered them already; either way
            // it is the capability's handler that did.
            await assembly.worker.pass()
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let states = try await resource.store.read { db in
                try await db.select().column("state").from("outbox").where("kind", .equal, "ping").all(decodingColumn: "state", as: String.self)
            }
            #expect(states == ["delivered", "delivered"])
            let before = PingCapability.swept.withLock { $0 }
            await assembly.maintenance.sweepOnce()
            #expect(PingCapability.swept.withLock { $0 } == before + 1, "its retention rule runs with the others")
        }
    }

    @Test func storeMigrationVersionsAreUniqueAndEveryResourceTableHasAResourceColumn() async throws {
        let versions = StoreSchema.schema.migrations.map(\.version)
        #expect(Set(versions).count == versions.count)
        for capability in Capabilities.all {
            #expect(Set(capability.resourceTables).isSubset(of: Set(StoreSchema.resourceTables)))
        }
        for engine in TestEngine.available {
            try await TestServer.with(engine: engine) { server in
                let store = try await server.runtime.stores.store(for: .unitedStates)
                for table in StoreSchema.resourceTables {
                    // Resource deletion and orphan removal reach every table through this column.
                    _ = try await store.read { db in try await db.select().column("resource_id").from(table).limit(1).all() }
                }
            }
        }
    }

    @Test func everyLoggedChatEventTypeHasItsProjection() {
        for type in ChatEventType.allCases {
            let event = LoggedEvent(
                header: EventHeader(id: 1, type: type.rawValue, recipients: [], createdAt: Timestamp(Date())),
                data: Data(#"{"threadId":"19:t@thread.v2","time":"2026-01-01T00:00:00Z"}"#.utf8))
            #expect(Capabilities.eventCatalog.decode(event) != nil, "\(type)")
        }
    }

    @Test(arguments: TestEngine.available)
    func aPersonsDataIsExportedFromEveryCapabilityAndErasedFromAllOfThem(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let alice = try await ChatUser.create(in: server, resource: "dev")
            let bob = try await ChatUser.create(in: server, resource: "dev")
            try await server.test { client in
                let thread = try await alice.createThread(client, participants: [bob.participant("Bob")])
                _ = try await alice.sendMessage(client, thread, "alice's words")
            }
            let assembly = try server.assembly()
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let personalData = assembly.platform.personalData
            func export(_ user: ChatUser) async throws -> String {
                let sections = try await assembly.platform.changes.run(in: resource) { tx in
                    try await personalData.export(.communicationUser(user.id), in: tx)
                }
                return String(decoding: try JSONBody.encoder.encode(sections), as: UTF8.self)
            }
            let exported = try await export(alice)
            for expected in ["\"identities\"", "\"chat\"", "\"eventsAndDeliveries\"", "alice's words", "messagesSent"] {
                #expect(exported.contains(expected), "\(expected) in \(exported.prefix(300))")
            }
            #expect(!exported.contains(bob.id + "\",\"customId"), "only Alice's identity")
            let identities = try #require(assembly.capability(IdentityCapability.self)).service
            try await identities.delete(in: resource, user: try #require(UserID(rawID: alice.id)))
            #expect(try await export(alice) == "{}", "nothing is left about her anywhere")
            #expect(try await export(bob).contains("\"chat\""), "Bob's data is his own")
        }
    }
}
