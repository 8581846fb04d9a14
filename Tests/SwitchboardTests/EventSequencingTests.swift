import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// Event ids on both engines: contiguous and in commit order however many changes append at once, visible to
/// readers only once numbered, and numbered even when the node that appended them stopped before it could.
@Suite struct EventSequencingTests {
    struct Marker: EventPayload {
        var n: Int
    }

    static func append(_ n: Int, through platform: Platform, in resource: ResourceHandle) async throws {
        try await platform.changes.run(in: resource) { tx in
            try await platform.events.append([NewEvent(type: "Test.Marker", payload: Marker(n: n), recipients: ["8:acs:someone"])], in: tx)
        }
    }

    static func logged(_ resource: ResourceHandle) async throws -> [LoggedEvent] {
        try await resource.store.read { db in try await EventLog.events(after: 0, scopes: nil, resource: resource, limit: 1000, in: db) }
    }

    static func pending(_ resource: ResourceHandle) async throws -> Int {
        try await resource.store.read { db in
            try await db.select().column("id").from("events").where("resource_id", .equal, resource.storageID).where("id", .lessThan, 0)
                .all().count
        }
    }

    @Test(arguments: TestEngine.available)
    func concurrentChangesGetContiguousIdsAndAChangeReturnsWithItsEventsNumbered(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            _ = try await server.createResource("other", in: .unitedStates)
            let platform = try server.assembly().platform
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let other = try #require(try await server.runtime.resources.handle(named: "other"))

            // One after another: each is numbered before the change returns, in order.
            for n in 0..<5 {
                try await Self.append(n, through: platform, in: resource)
                #expect(try await Self.logged(resource).count == n + 1)
            }
            // Many at once, in two resources: every change's event is numbered when it returns.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 5..<65 {
                    group.addTask {
                        try await Self.append(n, through: platform, in: n % 3 == 0 ? other : resource)
                        let seen = try await Self.logged(n % 3 == 0 ? other : resource)
                        #expect(seen.contains { (try? JSONDecoder().decode(Marker.self, from: $0.data))?.n == n })
                    }
                }
                try await group.waitForAll()
            }
            let events = try await Self.logged(resource)
            let markers = try events.map { try JSONDecoder().decode(Marker.self, from: $0.data).n }
            #expect(events.map(\.id) == Array(1...Int64(events.count)), "contiguous from 1")
            #expect(Array(markers.prefix(5)) == [0, 1, 2, 3, 4], "sequential changes keep their order")
            #expect(Set(markers).count == markers.count)
            #expect(try await Self.logged(other).map(\.id) == Array(1...20), "each resource has its own numbering")
            let last = try await resource.store.read { db in try await EventLog.lastID(resource: resource, in: db) }
            #expect(last == Int64(events.count))
            #expect(try await Self.pending(resource) == 0)
        }
    }

    @Test(arguments: TestEngine.available)
    func eventsANodeLeftUnnumberedAreNumberedByTheMaintenancePassAndThenDelivered(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let assembly = try server.assembly()
            let platform = assembly.platform
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            try await Self.append(0, through: platform, in: resource)

            // A node that commits and stops before its pass: the same append, without the pass after the commit.
            let now = server.runtime.clock.now
            try await resource.store.transaction { db in
                try await platform.events.append(
                    [NewEvent(type: "Test.Marker", payload: Marker(n: 1), recipients: [])],
                    in: Transaction(db: db, resource: resource, now: now, effects: CommitEffects()))
            }
            if engine == .postgres {
                #expect(try await Self.logged(resource).map(\.id) == [1], "readers do not see it until it is numbered")
                #expect(try await Self.pending(resource) == 1)
            }

            await assembly.maintenance.sweepOnce()
            #expect(try await Self.logged(resource).map(\.id) == [1, 2])
            #expect(try await Self.pending(resource) == 0)

            // Appending goes on after it.
            try await Self.append(2, through: platform, in: resource)
            let markers = try await Self.logged(resource).map { try JSONDecoder().decode(Marker.self, from: $0.data).n }
            #expect(markers == [0, 1, 2])
        }
    }
}
