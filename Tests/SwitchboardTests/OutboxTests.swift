import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// The outbox's queue semantics on both engines: several workers never hold the same row, leases expire,
/// a restarted node takes its own work back at once, and rows end delivered, retried or dead.
@Suite struct OutboxTests {
    func items(_ count: Int, expiresIn seconds: Int64 = 3600) -> [NewOutboxItem] {
        (0..<count).map { index in
            NewOutboxItem(
                kind: "test", target: "t\(index % 3)", deliveryID: UUID().uuidString, maxAttempts: 3,
                expiresAt: Timestamp(Date()).adding(seconds: seconds))
        }
    }

    @Test(arguments: TestEngine.available)
    func concurrentWorkersNeverClaimTheSameRow(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            try await resource.store.transaction { db in try await Outbox.enqueue(items(120), resource: resource, now: Timestamp(Date()), in: db) }
            // A second connection pool to the same database, as a second node has.
            let other = try await DatabaseFactory.open(resource.store.location, logger: .quiet)
            let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for (index, store) in [resource.store, other, resource.store, other].enumerated() {
                    group.addTask {
                        var mine: [Int64] = []
                        while true {
                            let batch = try await Outbox.claim(
                                from: store, owner: "node-\(index)", limit: 7, now: Timestamp(Date()), lease: .seconds(60))
                            if batch.isEmpty { return mine }
                            mine += batch.map(\.id)
                        }
                    }
                }
                return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
            }
            let all = claimed.flatMap { $0 }
            #expect(all.count == 120)
            #expect(Set(all).count == 120, "a row was claimed twice")
            await other.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func leasesExpireAndARestartedNodeTakesItsWorkBack(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let store = resource.store
            try await store.transaction { db in try await Outbox.enqueue(items(5), resource: resource, now: Timestamp(Date()), in: db) }
            let now = Timestamp(Date())
            #expect(try await Outbox.claim(from: store, owner: "a", limit: 10, now: now, lease: .seconds(60)).count == 5)
            #expect(try await Outbox.claim(from: store, owner: "b", limit: 10, now: now, lease: .seconds(60)).isEmpty)
            // After the lease, anyone may take them.
            #expect(try await Outbox.claim(from: store, owner: "b", limit: 10, now: now.adding(seconds: 61), lease: .seconds(60)).count == 5)
            // Node b restarts: it releases its own leases and claims them again at once.
            try await Outbox.releaseLeases(of: "b", in: store)
            #expect(try await Outbox.claim(from: store, owner: "b", limit: 10, now: now, lease: .seconds(60)).count == 5)
        }
    }

    @Test(arguments: TestEngine.available)
    func outcomesMoveRowsAndEveryAttemptIsRecorded(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let store = resource.store
            try await store.transaction { db in try await Outbox.enqueue(items(3), resource: resource, now: Timestamp(Date()), in: db) }
            let claimed = try await Outbox.claim(from: store, owner: "a", limit: 10, now: Timestamp(Date()), lease: .seconds(60))
            let now = Timestamp(Date())
            try await store.transaction { db in
                try await Outbox.record(
                    claimed[0], attempt: .init(at: now, duration: .milliseconds(3), status: 200), outcome: .delivered, retryAt: nil, snapshot: nil,
                    resource: resource, owner: "a", in: db)
                try await Outbox.record(
                    claimed[1], attempt: .init(at: now, duration: .milliseconds(3), status: 500, error: "boom"), outcome: .pending,
                    retryAt: now.adding(seconds: 10), snapshot: nil, resource: resource, owner: "a", in: db)
                try await Outbox.record(
                    claimed[2], attempt: .init(at: now, duration: .milliseconds(3), status: 400), outcome: .dead, retryAt: nil,
                    snapshot: Data(#"{"e":1}"#.utf8), resource: resource, owner: "a", in: db)
            }
            // The retried row is not due yet; it is after 10 s.
            #expect(try await Outbox.claim(from: store, owner: "a", limit: 10, now: now.adding(seconds: 5), lease: .seconds(60)).isEmpty)
            let due = try await Outbox.claim(from: store, owner: "a", limit: 10, now: now.adding(seconds: 11), lease: .seconds(60))
            #expect(due.map(\.id) == [claimed[1].id])
            #expect(due.first?.attempts == 1)
            let dead = try await store.read { db in
                try await Outbox.deadLetters(target: claimed[2].target, kind: "test", resource: resource, limit: 10, in: db)
            }
            #expect(dead.map(\.item.id) == [claimed[2].id])
            #expect(dead.first?.lastStatus == 400)
            let attempts = try await store.read { db in
                try await db.select().column("outbox_id").from("outbox_attempts").all(decodingColumn: "outbox_id", as: Int64.self)
            }
            #expect(Set(attempts) == Set(claimed.map(\.id)))
            let requeued = try await store.transaction { db in
                try await Outbox.redeliver(
                    target: claimed[2].target, kind: "test", deliveryIDs: nil, attempts: 3, timeToLive: .seconds(60), resource: resource,
                    now: now, in: db)
            }
            #expect(requeued == 1)
        }
    }

    /// A node whose lease ran out while it delivered (a slow receiver) does not record its attempt over the node
    /// that took the row over: one attempt is recorded per attempt made by the lease holder.
    @Test(arguments: TestEngine.available)
    func onlyTheLeaseHolderRecordsAnAttempt(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let store = resource.store
            try await store.transaction { db in try await Outbox.enqueue(items(1), resource: resource, now: Timestamp(Date()), in: db) }
            let now = Timestamp(Date())
            let slow = try await Outbox.claim(from: store, owner: "a", limit: 10, now: now, lease: .seconds(60))
            let late = try await Outbox.claim(from: store, owner: "b", limit: 10, now: now.adding(seconds: 61), lease: .seconds(60))
            #expect(slow.map(\.id) == late.map(\.id))
            // a's lease is gone: it can neither renew it nor record.
            #expect(try await Outbox.renewLeases(of: slow, owner: "a", until: now.adding(seconds: 120), in: store).isEmpty)
            let attempt = Outbox.Attempt(at: now, duration: .milliseconds(5), status: 200)
            let recordedByA = try await store.transaction { db in
                try await Outbox.record(
                    slow[0], attempt: attempt, outcome: .delivered, retryAt: nil, snapshot: nil, resource: resource, owner: "a", in: db)
            }
            let recordedByB = try await store.transaction { db in
                try await Outbox.record(
                    late[0], attempt: attempt, outcome: .delivered, retryAt: nil, snapshot: nil, resource: resource, owner: "b", in: db)
            }
            #expect(!recordedByA && recordedByB)
            let nodes = try await store.read { db in
                try await db.select().column("node").from("outbox_attempts").all(decodingColumn: "node", as: String.self)
            }
            #expect(nodes == ["b"])
        }
    }

    /// Claims leave out the lanes a node is busy with, so a lane with a backlog does not starve the others.
    @Test(arguments: TestEngine.available)
    func claimsSkipBusyLanesAndReleasedRowsAreFreeAtOnce(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let store = resource.store
            try await store.transaction { db in try await Outbox.enqueue(items(9), resource: resource, now: Timestamp(Date()), in: db) }
            let busy: Set<OutboxLane> = [OutboxLane(resourceID: resource.storageID, kind: "test", target: "t0")]
            let claimed = try await Outbox.claim(from: store, owner: "a", limit: 100, now: Timestamp(Date()), lease: .seconds(60), excluding: busy)
            #expect(claimed.count == 6)
            #expect(!claimed.contains { $0.target == "t0" })
            try await Outbox.release(claimed, owner: "a", in: store)
            #expect(try await Outbox.claim(from: store, owner: "b", limit: 100, now: Timestamp(Date()), lease: .seconds(60)).count == 9)
            // Redelivering an empty list of ids redelivers nothing (and is valid SQL on both engines).
            let none = try await store.transaction { db in
                try await Outbox.redeliver(
                    target: "t1", kind: "test", deliveryIDs: [], attempts: 3, timeToLive: .seconds(60), resource: resource,
                    now: Timestamp(Date()), in: db)
            }
            #expect(none == 0)
        }
    }

    @Test func retryDelaysFollowTheScheduleWithJitterAndRepeatTheLast() {
        let schedule = RetrySchedule(delays: [.seconds(10), .seconds(60)])
        #expect(RetrySchedule(delays: [.seconds(10)], jitter: 0).delay(after: 3) == .seconds(10))
        for _ in 0..<20 {
            let first = schedule.delay(after: 1)
            #expect(first >= .seconds(9) && first <= .seconds(11))
            let late = schedule.delay(after: 7)
            #expect(late >= .seconds(54) && late <= .seconds(66))
        }
    }

    @Test func everyChatEventVariantCarriesOnlyTheSchemasDataFields() throws {
        var data = ChatEventData(threadId: "19:t@thread.v2", transactionId: "tx", time: Date(), actor: "8:acs:r_a")
        data.messageId = "1"
        data.messageType = "text"
        data.messageBody = "hi"
        data.actorDisplayName = "A"
        data.version = 1
        data.topic = "topic"
        data.createTime = Date()
        data.participants = [.init(rawId: "8:acs:r_b", displayName: "B")]
        data.chatMessageId = "1"
        var seen = Set<CommunicationEventType>()
        for type in ChatEventType.allCases {
            let event = LoggedEvent(
                header: EventHeader(id: 1, type: type.rawValue, recipients: ["8:acs:r_a", "8:acs:r_b"], createdAt: Timestamp(Date())),
                data: try JSONBody.encoder.encode(data))
            let decoded = try #require(Capabilities.eventCatalog.decode(event))
            for variant in decoded.eventGridVariants {
                seen.insert(variant.type)
                let rendered = try decoded.eventGridData(for: variant).map { try JSONBody.encoder.encode(AnyEncodable($0)) }
                guard let rendered, case .object(let fields) = try JSONBody.decoder.decode(JSONValue.self, from: rendered) else {
                    Issue.record("no data for \(variant.type)")
                    continue
                }
                #expect(
                    Set(fields.keys).isSubset(of: Set(variant.type.dataFields)),
                    "\(variant.type): \(Set(fields.keys).subtracting(variant.type.dataFields))")
                #expect(variant.subject.hasPrefix("thread/19:t@thread.v2/"))
            }
        }
        #expect(seen.count == 17)
    }
}
