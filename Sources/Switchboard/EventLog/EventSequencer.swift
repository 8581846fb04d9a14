import Foundation
import Logging
import SQLKit
import Synchronization

/// Gives events their ids after the transactions that appended them have committed, where writers commit
/// concurrently (PostgreSQL).
///
/// Ids come from the resource's counter row and must follow commit order (``EventLog``). Taken inside every
/// appending transaction, that row is locked from the append until the commit is durable, so every change of a
/// resource that raises an event waits for the previous one's `fsync`: on PostgreSQL this capped a resource at a
/// few hundred changes a second, however many connections were free. So there an appending transaction writes its
/// events *pending* — with a negative id from a sequence, invisible to every reader, which read ids above a cursor
/// — and once it has committed, a sequencing pass numbers every committed pending event of the resource at once,
/// in the order they were appended, in one short transaction of its own:
///
/// - the pass takes the resource's sequencing lock (an advisory lock: a pass that finds nothing writes nothing and
///   commits without an `fsync`), reads the pending events, moves the counter on by their number, gives them their
///   ids and hands them to the log's consumers (webhook fan-out, `NOTIFY`), so what those queue commits with the ids;
/// - a change returns only after a pass that began after its commit has committed (``Changes``), so when a send
///   returns its event is in the log exactly as with ids taken in the transaction, and changes waiting at the same
///   time share one pass — group commit for the counter;
/// - order: a change that saw another's effects appended after that one committed, so its pending id is the later
///   one, and a pass that sees it sees the other too;
/// - a node that dies between a commit and its pass leaves pending events behind; the maintenance pass numbers
///   them (``sequenceStranded(in:resources:clock:)``), so they reach readers late but are never lost.
///
/// SQLite has one writer: there the counter costs no wait and ids are taken inside the appending transaction.
final class EventSequencer: Sendable {
    private struct ResourceState {
        var running = false
        /// Callers whose commit precedes the next pass.
        var waiting: [CheckedContinuation<CommittedWork, any Error>] = []
    }

    /// Events numbered per pass at most (a pass repeats until none are left).
    static let batch = 500

    private let catalog: EventCatalog
    private let consumers: [any EventLogConsumer]
    private let logger: Logger
    private let state = Mutex<[UUID: ResourceState]>([:])

    init(catalog: EventCatalog, consumers: [any EventLogConsumer], logger: Logger) {
        self.catalog = catalog
        self.consumers = consumers
        self.logger = logger
    }

    /// Returns once a pass that began after this call has numbered the resource's pending events; what the pass
    /// left for the node (events, outbox rows) is returned for the observers of the change.
    func sequence(_ resource: ResourceHandle, clock: any WallClock) async throws -> CommittedWork {
        try await withCheckedThrowingContinuation { continuation in
            let starts = state.withLock { states in
                var entry = states[resource.id, default: ResourceState()]
                entry.waiting.append(continuation)
                defer { states[resource.id] = entry }
                guard !entry.running else { return false }
                entry.running = true
                return true
            }
            // Unstructured: the pass serves every waiter, so no one caller's cancellation may cut it short.
            if starts { Task { await self.drive(resource, clock: clock) } }
        }
    }

    /// Runs passes while callers wait for one.
    private func drive(_ resource: ResourceHandle, clock: any WallClock) async {
        while true {
            let waiters = state.withLock { states -> [CheckedContinuation<CommittedWork, any Error>] in
                var entry = states[resource.id, default: ResourceState()]
                defer {
                    if entry.running { states[resource.id] = entry } else { states[resource.id] = nil }
                }
                let waiting = entry.waiting
                entry.waiting = []
                if waiting.isEmpty { entry.running = false }
                return waiting
            }
            guard !waiters.isEmpty else { return }
            do {
                let work = try await pass(resource, clock: clock)
                for waiter in waiters { waiter.resume(returning: work) }
            } catch {
                for waiter in waiters { waiter.resume(throwing: error) }
            }
        }
    }

    /// Numbers every committed pending event of `resource`, a batch per transaction.
    func pass(_ resource: ResourceHandle, clock: any WallClock) async throws -> CommittedWork {
        var work: CommittedWork = []
        while true {
            let effects = CommitEffects()
            let numbered = try await resource.store.transaction { db in
                try await self.numberPending(in: Transaction(db: db, resource: resource, now: clock.now, effects: effects))
            }
            work.formUnion(effects.work)
            if numbered < Self.batch { return work }
        }
    }

    /// Numbers up to ``batch`` pending events in `tx`; returns how many.
    private func numberPending(in tx: Transaction) async throws -> Int {
        let db = tx.db
        let resource = tx.resource
        try await db.lockUntilCommit(key: Self.lockKey(resource))
        // Pending ids are negated sequence values: the highest is the earliest appended.
        let rows = try await db.select().columns(EventLog.columns).from("events")
            .where("resource_id", .equal, resource.storageID).where("id", .lessThan, 0)
            .orderBy("id", .descending).limit(Self.batch)
            .all()
        guard !rows.isEmpty else { return 0 }
        let pending = try rows.map { try EventLog.decode($0, resource: resource) }
        let first = try await EventLog.reserveIDs(pending.count, in: tx)
        // One statement renumbers the batch: each pending id paired with its place in the log.
        var pairs = SQLQueryString("")
        for (offset, event) in pending.enumerated() {
            if offset > 0 { pairs.appendLiteral(", ") }
            pairs.appendInterpolation(unsafeRaw: "(")
            pairs.appendInterpolation(bind: event.id)
            pairs.appendInterpolation(unsafeRaw: "::bigint, ")
            pairs.appendInterpolation(bind: first + Int64(offset))
            pairs.appendInterpolation(unsafeRaw: "::bigint)")
        }
        try await db.raw(
            """
            UPDATE events SET id = numbered.id
            FROM (VALUES \(pairs)) AS numbered (pending, id)
            WHERE events.resource_id = \(bind: resource.storageID) AND events.id = numbered.pending
            """
        ).run()
        var appended: [AppendedEvent] = []
        for (offset, event) in pending.enumerated() {
            let header = EventHeader(id: first + Int64(offset), type: event.type, recipients: event.recipients, createdAt: event.createdAt)
            let decoded = catalog.decode(event)
            appended.append(
                AppendedEvent(
                    header: header, payload: decoded?.payload, correlation: event.correlation, subjectIndex: event.subjectIndex,
                    projection: decoded?.projection))
        }
        try await EventLog.handOver(appended, to: consumers, in: tx)
        return pending.count
    }

    /// Numbers the pending events of every resource in `store` that no pass numbered: their node died between the
    /// commit and the pass. Called by the maintenance pass; returns how many events it numbered.
    func sequenceStranded(in store: any Database, resources: ResourceRegistry, clock: any WallClock) async throws -> Int {
        guard store.engine == .postgres else { return 0 }
        let stranded = try await store.read { db in
            try await db.select().column("resource_id").column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("events")
                .where("id", .lessThan, 0).groupBy("resource_id")
                .all().map { (try $0.decode(column: "resource_id", as: String.self), try $0.decode(column: "n", as: Int.self)) }
        }
        var numbered = 0
        for (id, count) in stranded {
            guard let uuid = UUID(uuidString: id), let resource = try await resources.handle(id: uuid) else { continue }
            _ = try await sequence(resource, clock: clock)
            numbered += count
            logger.notice("numbered events a stopped node left pending", metadata: ["resource": "\(resource.name)", "events": "\(count)"])
        }
        return numbered
    }

    /// The advisory lock that keeps two passes over one resource apart.
    static func lockKey(_ resource: ResourceHandle) -> Int64 {
        Migrator.advisoryLockKey("event-sequence-\(resource.storageID)")
    }
}
