import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs outbox deliveries on this node: claims due rows from every store that holds resources and delivers them
/// lane by lane (a lane is one resource's target, such as a webhook subscription), in batches, recording every
/// attempt. Lanes progress independently: a slow or hanging receiver holds up its own lane only, while the others
/// are claimed and delivered around it, up to `concurrency` lanes at once.
///
/// Each kind of row has its handler, which brings its retry schedule and dead-letter policy. Safe on several
/// nodes: rows are leased (`SKIP LOCKED` on PostgreSQL), a lease is renewed before a batch once half of it has passed
/// so it outlives the delivery, a batch goes only to the rows the node still holds, and only the holder of a lease
/// records the attempt. After a crash, rows leased by the dead process are
/// taken up again when this node restarts (it releases its own old leases) or when their lease runs out.
public struct OutboxWorker: Service {
    let runtime: Runtime
    let handlers: [String: any OutboxHandler]
    let owner: String
    let signal: WorkSignal
    let pollInterval: Duration
    let lease: Duration
    let concurrency: Int
    /// Rows claimed per store and round.
    let claimLimit: Int
    /// The stores to work on, kept until the directory changes (checked with one small read per round).
    private let storeList = StoreList()

    var clock: any WallClock { runtime.clock }
    /// Told of every recorded attempt, so console pages showing deliveries refresh.
    let activity: ConsoleActivity?

    /// - Parameter lease: how long a claimed row stays this node's; half of it must exceed the longest single
    ///   delivery (a webhook's timeout), since it is renewed before a batch only once half of it has passed.
    public init(
        runtime: Runtime, handlers: [any OutboxHandler], owner: String, signal: WorkSignal,
        pollInterval: Duration = .milliseconds(500), lease: Duration = .seconds(180), concurrency: Int = 16, claimLimit: Int = 256,
        activity: ConsoleActivity? = nil
    ) {
        self.activity = activity
        self.runtime = runtime
        self.handlers = Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0) })
        self.owner = owner
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
        // Hand what was claimed but not finished back at once, rather than when its lease runs out; a store that
        // cannot be reached (PostgreSQL gone) must not hold the shutdown: its leases run out on their own.
        await clock.finishing {
            for store in await stores() {
                try? await Outbox.releaseLeases(of: owner, in: store)
            }
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
                    let (lanes, full) = await claim(excluding: busy, lanes: concurrency - busy.count, now: clock.now)
                    for claimed in lanes {
                        busy.insert(claimed.lane)
                        group.addTask {
                            await process(claimed.items, store: claimed.store, leasedUntil: claimed.leasedUntil)
                            return .finished(claimed.lane)
                        }
                    }
                    // A full claim may have left due rows behind: claim again at once while lanes are free.
                    if full, busy.count < concurrency { continue }
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

    /// Rows of one lane, claimed from one store.
    struct ClaimedLane: Sendable {
        let lane: OutboxLane
        let store: any Database
        let items: [OutboxItem]
        /// When the claim's lease ends.
        let leasedUntil: Timestamp
    }

    /// Claims due rows of lanes not in `busy`, grouped by lane, for at most `lanes` lanes; rows of further lanes
    /// are released again for the next round (or another node). `full`: a store had more due rows than one claim
    /// takes, so claiming again may find more.
    func claim(excluding busy: Set<OutboxLane>, lanes: Int, now: Timestamp) async -> (lanes: [ClaimedLane], full: Bool) {
        var result: [ClaimedLane] = []
        var full = false
        for store in await stores() where result.count < lanes {
            do {
                let items = try await Outbox.claim(
                    from: store, owner: owner, limit: claimLimit, now: now, lease: lease, excluding: busy, kinds: handlers.keys.sorted())
                if items.count >= claimLimit { full = true }
                let leasedUntil = now.adding(lease)
                var byLane: [OutboxLane: [OutboxItem]] = [:]
                var order: [OutboxLane] = []
                for item in items {
                    if byLane[item.lane] == nil { order.append(item.lane) }
                    byLane[item.lane, default: []].append(item)
                }
                var surplus: [OutboxItem] = []
                for lane in order {
                    let laneItems = byLane[lane] ?? []
                    if result.count < lanes {
                        result.append(ClaimedLane(lane: lane, store: store, items: laneItems, leasedUntil: leasedUntil))
                    } else {
                        surplus += laneItems
                    }
                }
                try await Outbox.release(surplus, owner: owner, in: store)
            } catch {
                Self.report("claiming outbox work failed", error, to: runtime.logger)
            }
        }
        return (result, full)
    }

    /// One round over every store, delivering what is due and waiting for it; returns whether anything was claimed.
    /// (The service runs ``deliverUntilCancelled()``; tests and tools use this, with the clock where they want it.)
    @discardableResult
    public func pass() async -> Bool {
        let lanes = await claim(excluding: [], lanes: Int.max, now: clock.now).lanes
        await withTaskGroup(of: Void.self) { group in
            for claimed in lanes {
                group.addTask { await process(claimed.items, store: claimed.store, leasedUntil: claimed.leasedUntil) }
            }
        }
        return !lanes.isEmpty
    }

    /// Delivers the claimed rows of one lane, one batch after another. `leasedUntil`: when the claim's lease ends.
    func process(_ items: [OutboxItem], store: any Database, leasedUntil: Timestamp) async {
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
        var leasedUntil = leasedUntil
        while !remaining.isEmpty {
            if Task.isCancelled {
                try? await Outbox.release(Array(remaining), owner: owner, in: store)
                return
            }
            // The lease must cover this batch's delivery: renewed once half of it has passed (a batch takes far less
            // than half a lease); rows this node no longer holds are someone else's now.
            if clock.now.adding(lease / 2) >= leasedUntil {
                let until = clock.now.adding(lease)
                let held: Set<Int64>
                do {
                    held = try await Outbox.renewLeases(of: Array(remaining), owner: owner, until: until, in: store)
                } catch {
                    Self.report("renewing outbox leases failed", error, to: logger)
                    return
                }
                leasedUntil = until
                remaining = remaining.filter { held.contains($0.id) }[...]
            }
            let chunk = Array(remaining.prefix(limit))
            remaining = remaining.dropFirst(chunk.count)
            guard !chunk.isEmpty else { return }
            let deferred = await deliver(chunk, handler: handler, resource: resource, store: store, leasedUntil: leasedUntil, logger: logger)
            // What did not fit in the batch leads the next one.
            remaining = (deferred + remaining)[...]
        }
    }

    /// Keeps the lease of rows while they are delivered, for as long as that takes: renewed whenever half of it is
    /// left (a batch usually ends long before, and this writes nothing). An SMTP server may take minutes within RFC
    /// 5321's timeouts; without this, the lease could end mid-delivery and another node send the rows again. Ends
    /// when cancelled, once the delivery returned.
    func keepLeased(_ items: [OutboxItem], until leasedUntil: Timestamp, store: any Database, logger: Logger) async {
        var until = leasedUntil
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: max(.zero, until.subtracting(lease / 2).duration(since: clock.now)))
            } catch {
                return
            }
            let next = clock.now.adding(lease)
            do {
                _ = try await Outbox.renewLeases(of: items, owner: owner, until: next, in: store)
                until = next
            } catch {
                // Tried again after a pause; the outcome is recorded only for rows this node still holds.
                Self.report("renewing the leases of a long delivery failed", error, to: logger)
                do { try await clock.sleep(for: .seconds(1)) } catch { return }
            }
        }
    }

    /// Delivers one batch and records its outcomes; returns the rows the handler deferred to the next batch.
    /// `leasedUntil`: when the batch's lease ends, unless its delivery keeps it (``keepLeased(_:until:store:logger:)``).
    func deliver(
        _ chunk: [OutboxItem], handler: any OutboxHandler, resource: ResourceHandle, store: any Database, leasedUntil: Timestamp, logger: Logger
    ) async -> [OutboxItem] {
        let now = clock.now
        var outcomes: [(OutboxItem, DeliveryResult)] = []
        var live: [OutboxItem] = []
        for item in chunk {
            guard let opened = try? item.opened(with: resource.crypto) else {
                // Sealed with a key this resource no longer has: nothing can ever deliver it.
                outcomes.append((item, DeliveryResult(.reject, error: "the row cannot be read with the resource's key")))
                continue
            }
            if opened.expiresAt <= now {
                let snapshot = handler.deadLetters.keepsSnapshot ? await handler.snapshot(opened, resource: resource) : nil
                outcomes.append((opened, DeliveryResult(.reject, error: "TimeToLiveExceeded", snapshot: snapshot)))
            } else {
                live.append(opened)
            }
        }
        if !live.isEmpty {
            do {
                // What was withdrawn or taken over since the claim is not sent, and not recorded.
                let marked = try await Outbox.markStarted(live, owner: owner, in: store)
                live = live.filter { marked.contains($0.id) }
            } catch {
                // Nothing is sent that could not be counted; the rows come back when their lease runs out.
                Self.report("marking outbox deliveries failed", error, to: logger)
                return []
            }
        }
        if !live.isEmpty {
            let began = ContinuousClock.now
            let delivering = live
            var results = await withTaskGroup(of: Void.self) { group in
                group.addTask { await keepLeased(delivering, until: leasedUntil, store: store, logger: logger) }
                let results = await handler.deliver(delivering, resource: resource)
                group.cancelAll()
                return results
            }
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
        let postponed = outcomes.filter { $0.1.disposition == .postponed }.map { ($0.0, now.adding($0.1.retryAfter ?? .seconds(1))) }
        let recorded = outcomes.filter { $0.1.disposition != .deferred && $0.1.disposition != .postponed }.map { item, result in
            (item, result, decide(item, result, handler: handler, now: now))
        }
        let owner = self.owner
        let keepsSnapshot = handler.deadLetters.keepsSnapshot
        var batchCommits: [DeliveryCommit] = []
        for (_, result) in outcomes {
            if let commit = result.commit, !batchCommits.contains(where: { $0 === commit }) { batchCommits.append(commit) }
        }
        let commits = batchCommits
        do {
            try await store.transaction { db in
                for commit in commits { try await commit.write(db, now) }
                for (item, until) in postponed { try await Outbox.postpone(item, until: until, owner: owner, in: db) }
                // Deliveries with the same answer are recorded together; the rest one by one.
                let delivered = Dictionary(
                    grouping: recorded.filter { $0.2.state == .delivered && $0.2.error == nil },
                    by: { DeliveredKey(status: $0.1.status, error: $0.1.error, duration: $0.1.duration) })
                for (key, group) in delivered {
                    try await Outbox.recordDelivered(
                        group.map(\.0), attempt: .init(at: now, duration: key.duration, status: key.status, error: key.error), owner: owner, in: db)
                }
                // Each attempt in the resource's operational log: the receiver's answer (sealed), found by the person
                // the row concerns.
                try await OperationLogStore.insert(
                    recorded.map { item, result, decision in
                        OperationLogEntry(
                            category: .delivery, operation: item.kind,
                            status: result.status.map { "\(decision.state.rawValue) \($0)" } ?? decision.state.rawValue, duration: result.duration,
                            subjectIndexes: item.subjectIndex.map { [$0] } ?? [], details: decision.error ?? result.error, time: now)
                    }, resource: resource, in: db)
                for (item, result, decision) in recorded where !(decision.state == .delivered && decision.error == nil) {
                    try await Outbox.record(
                        item,
                        attempt: .init(at: now, duration: result.duration, status: result.status, error: decision.error ?? result.error),
                        outcome: decision.state, retryAt: decision.retryAt,
                        snapshot: decision.state == .dead && keepsSnapshot ? (result.snapshot ?? item.snapshot) : nil,
                        resource: resource, owner: owner, in: db)
                }
            }
            activity?.touch(resource.id)
            for commit in commits { commit.committed() }
        } catch {
            Self.report("recording outbox attempts failed", error, to: logger)
        }
        for (item, result, decision) in recorded where decision.state == .dead {
            logger.notice(
                "delivery given up",
                metadata: ["kind": "\(item.kind)", "target": "\(item.target)", "reason": "\(decision.error ?? result.error ?? "rejected")"])
        }
        return deferred
    }

    /// Logs a failed step at `error`, unless the worker is stopping: a query cancelled by a graceful shutdown is expected
    /// (what it was doing is handed back with the leases) and is only worth a debug line.
    static func report(_ message: Logger.Message, _ error: any Error, to logger: Logger) {
        let stopping = error is CancellationError || Task.isCancelled
        logger.log(level: stopping ? .debug : .error, message, metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
    }

    /// Deliveries recorded together: the same answer in the same time.
    struct DeliveredKey: Hashable {
        let status: Int?
        let error: String?
        let duration: Duration
    }

    /// What becomes of a row after an attempt.
    struct Decision {
        var state: OutboxState
        var retryAt: Timestamp?
        /// Replaces the attempt's error when the decision, not the attempt, explains the outcome.
        var error: String?
    }

    func decide(_ item: OutboxItem, _ result: DeliveryResult, handler: any OutboxHandler, now: Timestamp) -> Decision {
        switch result.disposition {
        case .delivered: return Decision(state: .delivered)
        case .drop: return Decision(state: .dropped)
        case .deferred, .postponed: return Decision(state: .pending)
        case .reject: return Decision(state: .dead)
        case .retry:
            let attempts = item.attempts + 1
            if attempts >= item.maxAttempts { return Decision(state: .dead) }
            let next = now.adding(result.retryAfter ?? handler.retrySchedule.delay(after: attempts))
            // Given up because the next attempt would come after the row's time to live.
            if next >= item.expiresAt { return Decision(state: .dead, error: "TimeToLiveExceeded") }
            return Decision(state: .pending, retryAt: next)
        }
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
