import Foundation
import Synchronization
import Logging
import ServiceLifecycle

/// Delivers one kind of outbox row (webhooks today; carriers later).
public protocol OutboxHandler: Sendable {
    var kind: String { get }
    /// How many rows of one target may travel in one delivery.
    func batchLimit(target: String, resource: ResourceHandle) async -> Int
    /// Delivers rows of one resource and target; returns one result per row, in order.
    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult]
    /// What a row would send, kept with it when it goes to the dead-letter store.
    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data?
}

/// The outcome of delivering one row.
public struct DeliveryResult: Sendable {
    public enum Disposition: Sendable {
        /// The receiver accepted it.
        case delivered
        /// A transient failure: try again later (within the row's attempts and time to live).
        case retry
        /// The receiver refused it for good: straight to the dead-letter store.
        case reject
        /// Nothing to deliver any more (its content was deleted).
        case drop
        /// Not attempted this time (the batch was full): goes with the next batch, no attempt counted.
        case deferred
    }

    public var disposition: Disposition
    public var status: Int?
    public var error: String?
    public var snapshot: Data?
    public var duration: Duration = .zero

    public init(_ disposition: Disposition, status: Int? = nil, error: String? = nil, snapshot: Data? = nil) {
        self.disposition = disposition
        self.status = status
        self.error = error
        self.snapshot = snapshot
    }
}

/// When to try again: Event Grid's schedule by default (10 s, 30 s, 1 min, 5 min, 10 min, 30 min, 1 h, 3 h, 6 h,
/// then every 12 h up to the time to live), with ±10 % jitter so retries of a burst spread out. The last delay
/// repeats.
public struct RetrySchedule: Sendable {
    public var delays: [Duration]

    public init(delays: [Duration] = [
        .seconds(10), .seconds(30), .seconds(60), .seconds(300), .seconds(600), .seconds(1800), .seconds(3600),
        .seconds(10_800), .seconds(21_600), .seconds(43_200),
    ]) {
        self.delays = delays.isEmpty ? [.seconds(10)] : delays
    }

    /// The delay after the `attempt`-th failed attempt (1-based).
    public func delay(after attempt: Int) -> Duration {
        let base = delays[min(max(attempt, 1), delays.count) - 1]
        let jitter = Double.random(in: 0.9...1.1)
        return base * jitter
    }
}

/// A wake-up call for workers: set after a commit that queued work, waited on between passes.
public actor WorkSignal: EventNotifier {
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var pending = false

    public init() {}

    /// Wakes the workers only when there is something for them: most changes queue no delivery.
    public func eventsCommitted(resource: ResourceHandle, queuedDeliveries: Bool) {
        if queuedDeliveries { signal() }
    }

    public func signal() {
        if waiters.isEmpty {
            pending = true
        } else {
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    /// Returns when signalled (or at once if a signal came since the last wait), or after `timeout`.
    public func wait(timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend() }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.signal()  // release the suspended waiter if the timeout won
            self.pending = false
        }
    }

    private func suspend() async {
        await withCheckedContinuation { waiters.append($0) }
    }
}

/// Runs outbox deliveries on this node: claims due rows from every store that holds resources and delivers them
/// lane by lane (a lane is one resource's target, such as a webhook subscription), in batches, recording every
/// attempt. Lanes progress independently: a slow or hanging receiver holds up its own lane only, while the others
/// are claimed and delivered around it, up to `concurrency` lanes at once.
///
/// Safe on several nodes: rows are leased (`SKIP LOCKED` on PostgreSQL), a lease is renewed before each batch so
/// it outlives the delivery, and only the holder of a lease records the attempt. After a crash, rows leased by the
/// dead process are taken up again when this node restarts (it releases its own old leases) or when their lease
/// runs out.
public struct OutboxWorker: Service {
    let runtime: Runtime
    let handlers: [String: any OutboxHandler]
    let owner: String
    let schedule: RetrySchedule
    let signal: WorkSignal
    let pollInterval: Duration
    let lease: Duration
    let concurrency: Int
    /// Rows claimed per store and round.
    let claimLimit: Int
    /// The stores to work on, kept until the directory changes (checked with one small read per round).
    private let storeList = StoreList()

    /// - Parameter lease: how long a claimed row stays this node's; it must exceed the longest single delivery
    ///   (a webhook's timeout), since it is renewed before each batch.
    public init(
        runtime: Runtime, handlers: [any OutboxHandler], owner: String, schedule: RetrySchedule, signal: WorkSignal,
        pollInterval: Duration = .milliseconds(500), lease: Duration = .seconds(90), concurrency: Int = 16, claimLimit: Int = 64
    ) {
        self.runtime = runtime
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0) })
        self.owner = owner
        self.schedule = schedule
        self.signal = signal
        self.pollInterval = pollInterval
        self.lease = lease
        self.concurrency = concurrency
        self.claimLimit = claimLimit
    }

    public func run() async throws {
        for store in await stores() {
            try? await Outbox.releaseLeases(of: owner, in: store)
        }
        await cancelWhenGracefulShutdown {
            await deliverUntilCancelled()
        }
        // Hand what was claimed but not finished back at once, rather than when its lease runs out.
        for store in await stores() {
            try? await Outbox.releaseLeases(of: owner, in: store)
        }
    }

    enum LaneEvent: Sendable {
        case finished(OutboxLane)
        case wake
    }

    /// The delivery loop: claims work for free lanes whenever a lane finishes, work is signalled, or the poll
    /// interval passes.
    func deliverUntilCancelled() async {
        await withTaskGroup(of: LaneEvent.self) { group in
            var busy = Set<OutboxLane>()
            var waking = false
            while !Task.isCancelled {
                if busy.count < concurrency {
                    let lanes = await claim(excluding: busy, lanes: concurrency - busy.count)
                    for (lane, store, items) in lanes {
                        busy.insert(lane)
                        group.addTask {
                            await process(items, store: store)
                            return .finished(lane)
                        }
                    }
                    // Claimed something: there may be more, so claim again at once while lanes are free.
                    if !lanes.isEmpty, busy.count < concurrency { continue }
                }
                if !waking {
                    waking = true
                    group.addTask {
                        await signal.wait(timeout: pollInterval)
                        return .wake
                    }
                }
                switch await group.next() {
                case .finished(let lane): busy.remove(lane)
                case .wake: waking = false
                case nil: return
                }
            }
            group.cancelAll()
        }
    }

    /// The stores of the geographies that hold active resources.
    func stores() async -> [any Database] {
        guard let revision = try? await runtime.directory.revision() else { return [] }
        if let cached = storeList.stores(at: revision) { return cached }
        guard let records = try? await runtime.directory.records() else { return [] }
        var result: [any Database] = []
        var complete = true
        for geography in Set(records.filter { $0.state == .active }.map(\.geography)) {
            if let store = try? await runtime.stores.store(for: geography) { result.append(store) } else { complete = false }
        }
        if complete { storeList.keep(result, at: revision) }
        return result
    }

    /// Claims due rows of lanes not in `busy`, grouped by lane, for at most `lanes` lanes; rows of further lanes
    /// are released again for the next round (or another node).
    func claim(excluding busy: Set<OutboxLane>, lanes: Int, now: Timestamp = .now) async -> [(OutboxLane, any Database, [OutboxItem])] {
        var result: [(OutboxLane, any Database, [OutboxItem])] = []
        for store in await stores() where result.count < lanes {
            do {
                let items = try await Outbox.claim(
                    from: store, owner: owner, limit: claimLimit, now: now, lease: lease, excluding: busy)
                var byLane: [OutboxLane: [OutboxItem]] = [:]
                var order: [OutboxLane] = []
                for item in items {
                    if byLane[item.lane] == nil { order.append(item.lane) }
                    byLane[item.lane, default: []].append(item)
                }
                var surplus: [OutboxItem] = []
                for lane in order {
                    if result.count < lanes {
                        result.append((lane, store, byLane[lane]!))
                    } else {
                        surplus += byLane[lane]!
                    }
                }
                try await Outbox.release(surplus, owner: owner, in: store)
            } catch {
                runtime.logger.error("claiming outbox work failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
            }
        }
        return result
    }

    /// One round over every store, delivering what is due and waiting for it; returns whether anything was claimed.
    /// (The service runs ``deliverUntilCancelled()``; tests and tools use this.)
    @discardableResult
    public func pass(now: Timestamp = .now) async -> Bool {
        let lanes = await claim(excluding: [], lanes: Int.max, now: now)
        await withTaskGroup(of: Void.self) { group in
            for (_, store, items) in lanes {
                group.addTask { await process(items, store: store) }
            }
        }
        return !lanes.isEmpty
    }

    /// Delivers the claimed rows of one lane, one batch after another.
    func process(_ items: [OutboxItem], store: any Database) async {
        guard let first = items.first, let handler = handlers[first.kind], let id = UUID(uuidString: first.resourceID),
            let resource = try? await runtime.resources.handle(id: id)
        else {
            // Its resource is being deleted (its rows go with it) or no handler knows the kind: leave the rows to
            // their lease rather than claiming them again at once.
            return
        }
        var logger = runtime.logger
        logger[metadataKey: "resource"] = "\(resource.name)"
        let limit = max(1, await handler.batchLimit(target: first.target, resource: resource))
        var remaining = items[...]
        while !remaining.isEmpty {
            if Task.isCancelled {
                try? await Outbox.release(Array(remaining), owner: owner, in: store)
                return
            }
            // The lease must cover this batch's delivery; rows this node no longer holds are someone else's now.
            let held: Set<Int64>
            do {
                held = try await Outbox.renewLeases(of: Array(remaining), owner: owner, until: Timestamp.now.adding(milliseconds: lease), in: store)
            } catch {
                logger.error("renewing outbox leases failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
                return
            }
            remaining = remaining.filter { held.contains($0.id) }[...]
            let chunk = Array(remaining.prefix(limit))
            remaining = remaining.dropFirst(chunk.count)
            guard !chunk.isEmpty else { return }
            let deferred = await deliver(chunk, handler: handler, resource: resource, store: store, logger: logger)
            // What did not fit in the batch leads the next one.
            remaining = (deferred + remaining)[...]
        }
    }

    /// Delivers one batch and records its outcomes; returns the rows the handler deferred to the next batch.
    func deliver(_ chunk: [OutboxItem], handler: any OutboxHandler, resource: ResourceHandle, store: any Database, logger: Logger) async
        -> [OutboxItem]
    {
        let now = Timestamp.now
        let expired = chunk.filter { $0.expiresAt <= now }
        let live = chunk.filter { $0.expiresAt > now }
        var outcomes: [(OutboxItem, DeliveryResult)] = []
        for item in expired {
            outcomes.append((item, DeliveryResult(.reject, error: "TimeToLiveExceeded", snapshot: await handler.snapshot(item, resource: resource))))
        }
        if !live.isEmpty {
            let began = ContinuousClock.now
            var results = await handler.deliver(live, resource: resource)
            let elapsed = ContinuousClock.now - began
            if results.count != live.count { results = live.map { _ in DeliveryResult(.retry, error: "no result") } }
            for (item, result) in zip(live, results) {
                var result = result
                result.duration = elapsed
                outcomes.append((item, result))
            }
        }
        // Only what was attempted is recorded; a handler always attempts at least one row, so this ends.
        let deferred = outcomes.filter { $0.1.disposition == .deferred }.map(\.0)
        guard deferred.count < chunk.count else {
            return []
        }
        outcomes = outcomes.filter { $0.1.disposition != .deferred }
        let recorded = outcomes
        do {
            try await store.transaction { db in
                for (item, result) in recorded {
                    let (state, retryAt) = decide(item, result)
                    // Given up because the next attempt would come after the row's time to live.
                    let expired = state == .dead && result.disposition == .retry && item.attempts + 1 < item.maxAttempts
                    try await Outbox.record(
                        item,
                        attempt: .init(
                            at: now, duration: result.duration, status: result.status,
                            error: expired ? "TimeToLiveExceeded" : result.error),
                        outcome: state, retryAt: retryAt, snapshot: result.snapshot, resource: resource, owner: owner, in: db)
                }
            }
        } catch {
            logger.error("recording outbox attempts failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
        }
        for (item, result) in outcomes {
            let (state, _) = decide(item, result)
            if state == .dead {
                logger.notice(
                    "delivery given up", metadata: ["kind": "\(item.kind)", "target": "\(item.target)", "reason": "\(result.error ?? "rejected")"])
            }
        }
        return deferred
    }

    func decide(_ item: OutboxItem, _ result: DeliveryResult) -> (OutboxState, Timestamp?) {
        switch result.disposition {
        case .delivered: return (.delivered, nil)
        case .drop: return (.dropped, nil)
        case .deferred: return (.pending, nil)
        case .reject: return (.dead, nil)
        case .retry:
            let attempts = item.attempts + 1
            let next = Timestamp.now.adding(milliseconds: schedule.delay(after: attempts))
            if attempts >= item.maxAttempts || next >= item.expiresAt { return (.dead, nil) }
            return (.pending, next)
        }
    }
}

extension Timestamp {
    func adding(milliseconds duration: Duration) -> Timestamp {
        let (seconds, attoseconds) = duration.components
        return Timestamp(milliseconds: milliseconds + seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}

/// The stores a worker goes over, with the directory revision they were read at.
final class StoreList: Sendable {
    private let cached = Mutex<(revision: Int64, stores: [any Database])?>(nil)

    func stores(at revision: Int64) -> [any Database]? {
        cached.withLock { $0?.revision == revision ? $0?.stores : nil }
    }

    func keep(_ stores: [any Database], at revision: Int64) {
        cached.withLock { $0 = (revision, stores) }
    }
}
