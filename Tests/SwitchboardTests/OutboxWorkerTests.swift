import Foundation
import SQLKit
import Synchronization
import Testing

@testable import Switchboard

/// The outbox worker driven with a recording handler and a clock moved by hand: batches, deferral, retries on the
/// handler's own schedule, expiry, dead letters with or without their snapshot, and lanes that do not wait for
/// each other. No test here sleeps.
@Suite struct OutboxWorkerTests {
    /// A handler that records every batch it is given and answers as the test scripts it.
    final class RecordingHandler: OutboxHandler {
        let kind = "test"
        let retrySchedule: RetrySchedule
        let deadLetters: DeadLetterPolicy
        let limit: Int
        private let script: @Sendable ([OutboxItem]) async -> [DeliveryResult]
        private let recorded = Mutex<[[OutboxItem]]>([])

        /// A handler that answers each row of a batch with `script`.
        convenience init(
            limit: Int = 10, retrySchedule: RetrySchedule = RetrySchedule(delays: [.seconds(10)], jitter: 0),
            deadLetters: DeadLetterPolicy = .keepForAWeek, script: @escaping @Sendable (OutboxItem) async -> DeliveryResult
        ) {
            self.init(limit: limit, retrySchedule: retrySchedule, deadLetters: deadLetters) { items in
                var results: [DeliveryResult] = []
                for item in items { results.append(await script(item)) }
                return results
            }
        }

        /// A handler that answers whole batches with `batchScript`.
        init(
            limit: Int = 10, retrySchedule: RetrySchedule = RetrySchedule(delays: [.seconds(10)], jitter: 0),
            deadLetters: DeadLetterPolicy = .keepForAWeek, batchScript: @escaping @Sendable ([OutboxItem]) async -> [DeliveryResult]
        ) {
            self.limit = limit
            self.retrySchedule = retrySchedule
            self.deadLetters = deadLetters
            self.script = batchScript
        }

        var batches: [[OutboxItem]] { recorded.withLock { $0 } }

        func batchLimit(target: String, resource: ResourceHandle) async -> Int { limit }

        func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
            recorded.withLock { $0.append(items) }
            return await script(items)
        }

        func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? {
            Data("snapshot of \(String(decoding: item.payload ?? Data(), as: UTF8.self))".utf8)
        }
    }

    struct Row {
        let state: String
        let attempts: Int
        let nextAttemptAt: Int64
        let lastError: String?
        let payload: Data?
        let snapshot: Data?
    }

    /// Runs `body` with a resource, a manual clock and a worker around `handler`.
    func withWorker(
        _ handler: RecordingHandler, engine: TestEngine = .sqlite,
        _ body: (OutboxWorker, ResourceHandle, ManualClock) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let worker = OutboxWorker(
                runtime: server.runtime, handlers: [handler], owner: "node", signal: WorkSignal(clock: clock), lease: .seconds(60))
            try await body(worker, resource, clock)
        }
    }

    func enqueue(
        _ count: Int, target: String = "t", expiresIn: Duration = .seconds(3600), maxAttempts: Int = 3, resource: ResourceHandle, clock: ManualClock
    )
        async throws
    {
        let now = clock.now
        try await resource.store.transaction { db in
            try await Outbox.enqueue(
                (0..<count).map { index in
                    NewOutboxItem(
                        kind: "test", target: target, deliveryID: "\(target)-\(index)", payload: Data("body \(index)".utf8),
                        maxAttempts: maxAttempts, expiresAt: now.adding(expiresIn))
                }, resource: resource, now: now, in: db)
        }
    }

    func rows(_ resource: ResourceHandle) async throws -> [String: Row] {
        try await resource.store.read { db in
            var rows: [String: Row] = [:]
            for row in try await db.select().columns("delivery_id", "state", "attempts", "next_attempt_at", "last_error", "payload", "snapshot")
                .from("outbox").all()
            {
                rows[try row.decode(column: "delivery_id", as: String.self)] = Row(
                    state: try row.decode(column: "state", as: String.self), attempts: try row.decode(column: "attempts", as: Int.self),
                    nextAttemptAt: try row.decode(column: "next_attempt_at", as: Int64.self),
                    lastError: try row.decode(column: "last_error", as: String?.self),
                    payload: try row.decode(column: "payload", as: Data?.self), snapshot: try row.decode(column: "snapshot", as: Data?.self))
            }
            return rows
        }
    }

    @Test(arguments: TestEngine.available)
    func aDeliveryACrashCutShortCountsAsAPreviousAttempt(engine: TestEngine) async throws {
        let handler = RecordingHandler(limit: 10) { _ in DeliveryResult(.delivered, status: 200) }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            try await enqueue(2, resource: resource, clock: clock)
            // A node claims the rows, begins delivering them, and dies before it records anything.
            let claimed = try await Outbox.claim(from: resource.store, owner: "crashed", limit: 10, now: clock.now, lease: .seconds(60))
            try await Outbox.markStarted(claimed, owner: "crashed", in: resource.store)
            clock.advance(by: .seconds(61))
            #expect(await worker.pass())
            let delivered = handler.batches.flatMap { $0 }
            #expect(delivered.map(\.deliveryID) == ["t-0", "t-1"])
            #expect(delivered.allSatisfy { $0.attempts == 0 && $0.previousAttempts == 1 }, "the receiver may have seen them once")
            // A first delivery that completes counts nothing before it.
            try await enqueue(1, target: "u", resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(handler.batches.last?.first?.previousAttempts == 0)
        }
    }

    /// What a handler learned while delivering (a carrier's ids) is written in the transaction that records the
    /// batch's outcomes, once for the batch, and told once durable; if it fails, nothing of the batch is recorded and
    /// its rows come back when their lease ends.
    @Test(arguments: TestEngine.available)
    func whatABatchLearnedIsWrittenOnceWithItsOutcomesOrNotAtAll(engine: TestEngine) async throws {
        let failing = Mutex(true)
        let writes = Mutex(0)
        let told = Mutex(0)
        let resourceBox = Mutex<ResourceHandle?>(nil)
        let handler = RecordingHandler(limit: 10) { items in
            let commit = DeliveryCommit(
                write: { db, now in
                    writes.withLock { $0 += 1 }
                    guard let resource = resourceBox.withLock({ $0 }) else { return }
                    try await Outbox.enqueue(
                        [
                            NewOutboxItem(
                                kind: "learned", target: "t", deliveryID: "learned-\(items.count)", maxAttempts: 1,
                                expiresAt: now.adding(.seconds(60)))
                        ],
                        resource: resource, now: now, in: db)
                    if failing.withLock({ $0 }) { throw SMSError.invalid("the store is down", target: nil) }
                },
                committed: { told.withLock { $0 += 1 } })
            return items.map { _ in DeliveryResult(.delivered, status: 200, commit: commit) }
        }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            resourceBox.withLock { $0 = resource }
            try await enqueue(3, resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(writes.withLock { $0 } == 1)
            #expect(told.withLock { $0 } == 0)
            var found = try await rows(resource)
            #expect(found["learned-3"] == nil, "the failed write left nothing")
            #expect((0..<3).allSatisfy { found["t-\($0)"]?.state == "pending" && found["t-\($0)"]?.attempts == 0 })
            // Nothing was recorded: the rows wait for their lease to end, then go again.
            #expect(await worker.pass() == false)
            failing.withLock { $0 = false }
            clock.advance(by: .seconds(61))
            #expect(await worker.pass())
            #expect(writes.withLock { $0 } == 2)
            #expect(told.withLock { $0 } == 1)
            found = try await rows(resource)
            #expect(found["learned-3"] != nil)
            #expect((0..<3).allSatisfy { found["t-\($0)"]?.state == "delivered" && found["t-\($0)"]?.attempts == 1 })
        }
    }

    @Test func rowsNoHandlerOnThisNodeKnowsWaitWithoutTakingPlacesInTheClaim() async throws {
        let handler = RecordingHandler(limit: 10) { _ in DeliveryResult(.delivered, status: 200) }
        try await withWorker(handler) { worker, resource, clock in
            // A confirmation queued for a channel this server does not run yet, ahead of the handler's own rows.
            let now = clock.now
            try await resource.store.transaction { db in
                try await Outbox.enqueue(
                    (0..<100).map {
                        NewOutboxItem(kind: "later", target: "sms", deliveryID: "later-\($0)", maxAttempts: 3, expiresAt: now.adding(seconds: 3600))
                    },
                    resource: resource, now: now, in: db)
            }
            try await enqueue(3, resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(handler.batches.flatMap { $0 }.map(\.deliveryID) == ["t-0", "t-1", "t-2"])
            let rows = try await rows(resource)
            #expect(rows.filter { $0.key.hasPrefix("later-") }.values.allSatisfy { $0.state == "pending" && $0.attempts == 0 })
            let leased = try await resource.store.read { db in
                try await db.select().column("id").from("outbox").where("kind", .equal, "later").where("lease_owner", .isNot, SQLLiteral.null).all()
            }
            #expect(leased.isEmpty, "rows of an unknown kind are never leased")
        }
    }

    @Test(arguments: TestEngine.available)
    func aLaneIsDeliveredInBatchesOfTheHandlersLimitInQueueOrder(engine: TestEngine) async throws {
        let handler = RecordingHandler(limit: 2) { _ in DeliveryResult(.delivered, status: 200) }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            try await enqueue(5, resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(handler.batches.map { $0.map(\.deliveryID) } == [["t-0", "t-1"], ["t-2", "t-3"], ["t-4"]])
            // The handler gets the payload as queued; the store keeps it sealed and erases it once delivered.
            #expect(handler.batches[0][0].payload == Data("body 0".utf8))
            let rows = try await rows(resource)
            #expect(rows.values.allSatisfy { $0.state == "delivered" && $0.attempts == 1 && $0.payload == nil })
            #expect(!(await worker.pass()), "nothing left to claim")
        }
    }

    @Test func deferredRowsLeadTheNextBatchWithoutAnAttemptCounted() async throws {
        // Each call takes only the first row, like a webhook batch that reached its size.
        let handler = RecordingHandler(limit: 3) { items in
            items.indices.map { $0 == 0 ? DeliveryResult(.delivered) : DeliveryResult(.deferred) }
        }
        try await withWorker(handler) { worker, resource, clock in
            try await enqueue(3, resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(handler.batches.map { $0.map(\.deliveryID) } == [["t-0", "t-1", "t-2"], ["t-1", "t-2"], ["t-2"]])
            let rows = try await rows(resource)
            #expect(rows.values.allSatisfy { $0.state == "delivered" && $0.attempts == 1 }, "a deferral is not an attempt")
        }
    }

    @Test(arguments: TestEngine.available)
    func aFailureIsRetriedOnTheHandlersScheduleAndGivenUpAfterTheLastAttempt(engine: TestEngine) async throws {
        let handler = RecordingHandler(retrySchedule: RetrySchedule(delays: [.seconds(10), .seconds(30)], jitter: 0)) { _ in
            DeliveryResult(.retry, status: 503, error: "unavailable")
        }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            try await enqueue(1, maxAttempts: 3, resource: resource, clock: clock)
            let start = clock.now
            #expect(await worker.pass())
            var row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "pending" && row.attempts == 1)
            #expect(row.nextAttemptAt == start.adding(.seconds(10)).milliseconds)
            // Not due before its time.
            clock.advance(by: .seconds(9))
            #expect(!(await worker.pass()))
            clock.advance(by: .seconds(1))
            #expect(await worker.pass())
            row = try #require(try await rows(resource)["t-0"])
            #expect(row.attempts == 2)
            #expect(row.nextAttemptAt == clock.now.adding(.seconds(30)).milliseconds, "the second delay of the schedule")
            clock.advance(by: .seconds(30))
            #expect(await worker.pass())
            row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "dead" && row.attempts == 3)
            #expect(row.payload == nil, "a finished row no longer holds its payload")
            #expect(handler.batches.count == 3)
        }
    }

    @Test func aPauseTheReceiverAsksForWinsOverTheSchedule() async throws {
        let handler = RecordingHandler { _ in DeliveryResult(.retry, status: 429, retryAfter: .seconds(120)) }
        try await withWorker(handler) { worker, resource, clock in
            try await enqueue(1, resource: resource, clock: clock)
            #expect(await worker.pass())
            #expect(try await rows(resource)["t-0"]?.nextAttemptAt == clock.now.adding(.seconds(120)).milliseconds)
        }
    }

    @Test func aRowPastItsTimeToLiveIsDeadLetteredWithoutAnAttemptAndWithItsSnapshot() async throws {
        let handler = RecordingHandler { _ in DeliveryResult(.delivered) }
        try await withWorker(handler) { worker, resource, clock in
            try await enqueue(1, expiresIn: .seconds(5), resource: resource, clock: clock)
            clock.advance(by: .seconds(6))
            #expect(await worker.pass())
            #expect(handler.batches.isEmpty, "an expired row is not sent")
            let row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "dead")
            #expect(row.lastError == "TimeToLiveExceeded")
            let letters = try await resource.store.read { db in
                try await Outbox.deadLetters(target: "t", kind: "test", resource: resource, limit: 10, in: db)
            }
            #expect(letters.first?.item.snapshot == Data("snapshot of body 0".utf8))
        }
    }

    @Test func aRetryThatWouldComeAfterTheTimeToLiveGivesUpAtOnce() async throws {
        let handler = RecordingHandler(retrySchedule: RetrySchedule(delays: [.seconds(60)], jitter: 0)) { _ in DeliveryResult(.retry, status: 500) }
        try await withWorker(handler) { worker, resource, clock in
            try await enqueue(1, expiresIn: .seconds(30), maxAttempts: 10, resource: resource, clock: clock)
            #expect(await worker.pass())
            let row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "dead" && row.attempts == 1)
            #expect(row.lastError == "TimeToLiveExceeded")
        }
    }

    @Test func aRejectedRowIsDeadLetteredWithWhatItSentOnlyWhenItsHandlerKeepsDeadLetters() async throws {
        let keeping = RecordingHandler { item in DeliveryResult(.reject, status: 400, snapshot: Data("sent \(item.deliveryID)".utf8)) }
        try await withWorker(keeping) { worker, resource, clock in
            try await enqueue(1, resource: resource, clock: clock)
            #expect(await worker.pass())
            let row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "dead" && row.attempts == 1 && row.payload == nil)
            let snapshot = try #require(row.snapshot)
            #expect(snapshot.range(of: Data("sent t-0".utf8)) == nil, "the snapshot is sealed at rest")
            let redelivered = try await resource.store.transaction { db in
                try await Outbox.redeliver(
                    target: "t", kind: "test", deliveryIDs: nil, attempts: 1, timeToLive: .seconds(60), resource: resource, now: clock.now, in: db)
            }
            #expect(redelivered == 1)
            #expect(await worker.pass())
            // Redelivered, it carries what was sent the first time.
            #expect(keeping.batches.last?.first?.snapshot == Data("sent t-0".utf8))
        }
        let discarding = RecordingHandler(deadLetters: DeadLetterPolicy(retention: .seconds(3600), keepsSnapshot: false)) { _ in
            DeliveryResult(.reject, status: 400, snapshot: Data("content".utf8))
        }
        try await withWorker(discarding) { worker, resource, clock in
            try await enqueue(1, resource: resource, clock: clock)
            #expect(await worker.pass())
            let row = try #require(try await rows(resource)["t-0"])
            #expect(row.state == "dead" && row.snapshot == nil && row.payload == nil, "content does not outlive its delivery")
        }
    }

    /// Steps a test runs inside the handler's deliveries, one per batch.
    final class Steps: Sendable {
        let list = Mutex<[@Sendable () async throws -> Void]>([])

        func next() async throws {
            let step = list.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            try await step?()
        }
    }

    /// A claim holds for many batches: its lease is renewed only once half of it has passed (not before every batch),
    /// and a batch sends only the rows the node still holds — a row withdrawn since the claim, or taken over by
    /// another node after the lease lapsed, is not sent.
    @Test(arguments: TestEngine.available)
    func aBatchSendsOnlyRowsTheNodeStillHoldsAndTheLeaseIsRenewedOnceHalfOfItHasPassed(engine: TestEngine) async throws {
        let steps = Steps()
        let failures = Mutex<[String]>([])
        let handler = RecordingHandler(limit: 1) { items in
            do { try await steps.next() } catch { failures.withLock { $0.append("\(error)") } }
            return items.map { _ in DeliveryResult(.delivered) }
        }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            try await enqueue(5, resource: resource, clock: clock)
            let start = clock.now
            @Sendable func leaseOfTheLastRow() async throws -> Int64? {
                try await resource.store.read { db in
                    try await db.select().column("lease_until").from("outbox").where("delivery_id", .equal, "t-4")
                        .first(decodingColumn: "lease_until", as: Int64?.self) ?? nil
                }
            }
            @Sendable func ownerOfTheLastRow() async throws -> String? {
                try await resource.store.read { db in
                    try await db.select().column("lease_owner").from("outbox").where("delivery_id", .equal, "t-4")
                        .first(decodingColumn: "lease_owner", as: String?.self) ?? nil
                }
            }
            let observed = Mutex<[Int64?]>([])
            steps.list.withLock {
                $0 = [
                    {
                        // While t-0 is sent: t-1 is withdrawn (its content erased, say).
                        try await resource.store.transaction { db in
                            try await db.delete(from: "outbox").where("delivery_id", .equal, "t-1").run()
                        }
                        clock.advance(by: .seconds(10))
                    },
                    {
                        // While t-2 is sent, 10 s after the claim: the lease was not renewed.
                        let lease = try await leaseOfTheLastRow()
                        observed.withLock { $0.append(lease) }
                        clock.advance(by: .seconds(21))
                    },
                    {
                        // While t-3 is sent: past half the lease, it was renewed before this batch. Then the node stalls
                        // past it, and another node takes the rows over.
                        let lease = try await leaseOfTheLastRow()
                        observed.withLock { $0.append(lease) }
                        clock.advance(by: .seconds(61))
                        _ = try await Outbox.claim(from: resource.store, owner: "other", limit: 10, now: clock.now, lease: .seconds(60))
                    },
                ]
            }
            #expect(await worker.pass())
            #expect(failures.withLock { $0 }.isEmpty)
            #expect(handler.batches.map { $0.map(\.deliveryID) } == [["t-0"], ["t-2"], ["t-3"]])
            #expect(
                observed.withLock { $0 } == [start.adding(.seconds(60)).milliseconds, start.adding(.seconds(31 + 60)).milliseconds])
            #expect(try await ownerOfTheLastRow() == "other")
            #expect(try await rows(resource)["t-1"] == nil)
        }
    }

    /// A delivery that takes longer than half its lease (an SMTP server within RFC 5321's minutes) keeps the lease, so
    /// no other node claims and sends its rows meanwhile; a fast one writes nothing for it.
    @Test(arguments: TestEngine.available)
    func aLongDeliveryKeepsItsLeaseSoNoOtherNodeSendsItsRowsAgain(engine: TestEngine) async throws {
        let (release, released) = AsyncStream.makeStream(of: Void.self)
        let started = Mutex(false)
        let handler = RecordingHandler { _ in
            started.withLock { $0 = true }
            for await _ in release { break }
            return DeliveryResult(.delivered)
        }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            try await enqueue(1, resource: resource, clock: clock)
            let claimedAt = clock.now
            let pass = Task { await worker.pass() }
            @Sendable func lease() async throws -> Int64? {
                try await resource.store.read { db in
                    try await db.select().column("lease_until").from("outbox").where("delivery_id", .equal, "t-0")
                        .first(decodingColumn: "lease_until", as: Int64?.self) ?? nil
                }
            }
            while !started.withLock({ $0 }) { await Task.yield() }
            #expect(try await lease() == claimedAt.adding(.seconds(60)).milliseconds)
            // Half the lease (60 s) passes mid-delivery: it is renewed from then.
            clock.advance(by: .seconds(31))
            let renewed = claimedAt.adding(.seconds(91)).milliseconds
            let deadline = ContinuousClock.now.advanced(by: .seconds(30))
            while try await lease() != renewed, ContinuousClock.now < deadline { await Task.yield() }
            #expect(try await lease() == renewed)
            // Past the first lease, another node finds nothing to claim.
            clock.advance(by: .seconds(30))
            #expect(try await Outbox.claim(from: resource.store, owner: "other", limit: 10, now: clock.now, lease: .seconds(60)).isEmpty)
            released.yield()
            released.finish()
            #expect(await pass.value)
            #expect(try await rows(resource)["t-0"]?.state == "delivered")
        }
    }

    /// A withdrawn row takes its attempts with it: SQLite gives its id to the next row, which must still be able to
    /// record its own first attempt.
    @Test(arguments: TestEngine.available)
    func aWithdrawnRowTakesItsAttemptsSoTheRowGivenItsIdRecordsItsOwn(engine: TestEngine) async throws {
        let handler = RecordingHandler { _ in DeliveryResult(.delivered, status: 200) }
        try await withWorker(handler, engine: engine) { worker, resource, clock in
            @Sendable func enqueue(_ id: String) async throws {
                try await resource.store.transaction { db in
                    try await Outbox.enqueue(
                        [
                            NewOutboxItem(
                                kind: "test", target: "t", deliveryID: id, correlation: Correlation(scope: "op:\(id)", item: "send"),
                                maxAttempts: 3, expiresAt: clock.now.adding(.seconds(3600)))
                        ], resource: resource, now: clock.now, in: db)
                }
            }
            @Sendable func orphans() async throws -> Int {
                try await resource.store.read { db in
                    try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("outbox_attempts")
                        .where(SQLIdentifier("outbox_id"), .notIn, SQLGroupExpression(db.select().column("id").from("outbox").query))
                        .first(decodingColumn: "n", as: Int.self) ?? 0
                }
            }
            try await enqueue("first")
            #expect(await worker.pass())
            #expect(try await rows(resource)["first"]?.attempts == 1)
            let withdrawn = try await resource.store.transaction { db in
                try await Outbox.withdraw(correlatedWith: Correlation(scope: "op:first", item: nil), resource: resource, in: db)
            }
            #expect(withdrawn == 1)
            #expect(try await orphans() == 0)
            try await enqueue("second")
            #expect(await worker.pass())
            let second = try await rows(resource)["second"]
            #expect(second?.state == "delivered" && second?.attempts == 1)
            #expect(try await orphans() == 0)
        }
    }

    @Test func aSlowLaneDoesNotHoldUpAnother() async throws {
        let (release, released) = AsyncStream.makeStream(of: Void.self)
        let gate = Mutex<AsyncStream<Void>?>(release)
        let handler = RecordingHandler { item in
            if item.target == "slow", let stream = gate.withLock({ $0 }) {
                for await _ in stream { break }
            }
            return DeliveryResult(.delivered)
        }
        try await withWorker(handler) { worker, resource, clock in
            try await enqueue(1, target: "slow", resource: resource, clock: clock)
            try await enqueue(2, target: "fast", resource: resource, clock: clock)
            let pass = Task { await worker.pass() }
            // The fast lane is delivered while the slow one is still waiting on its receiver.
            while try await rows(resource).filter({ $0.key.hasPrefix("fast") && $0.value.state == "delivered" }).count < 2 {
                await Task.yield()
            }
            #expect(try await rows(resource)["slow-0"]?.state == "pending")
            released.yield()
            released.finish()
            #expect(await pass.value)
            #expect(try await rows(resource)["slow-0"]?.state == "delivered")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func theWorkersWakeOnlyForChangesThatQueuedRows() async throws {
        let clock = ManualClock()
        let signal = WorkSignal(clock: clock)
        try await TestServer.with(clock: clock) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let changes = Changes(clock: clock, observers: [signal])
            let waiting = Task { await signal.wait(timeout: .seconds(60)) }
            while clock.sleeperCount == 0 { await Task.yield() }
            // A change that queues nothing leaves the workers waiting.
            try await changes.run(in: resource) { _ in }
            for _ in 0..<100 { await Task.yield() }
            #expect(clock.sleeperCount == 1)
            // One that queues a row wakes them once it commits, long before their poll interval.
            try await changes.run(in: resource) { tx in
                try await Outbox.enqueue(
                    [NewOutboxItem(kind: "test", target: "t", deliveryID: "x", maxAttempts: 1, expiresAt: tx.now.adding(.seconds(60)))], in: tx)
            }
            await waiting.value
            #expect(clock.sleeperCount == 0)
        }
    }
}
