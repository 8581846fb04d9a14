import Logging
import SQLKit

/// Told after a change committed what work it left: the outbox workers wake for queued rows, the real-time hub
/// for appended events.
public protocol CommitObserver: Sendable {
    func committed(_ work: CommittedWork, resource: ResourceHandle) async
}

/// The one way capabilities change a resource's data: a transaction on the resource's store, then — only once it
/// has committed — the observers are told what it left to do. Nothing wakes a worker for a change that rolled back,
/// and nothing is forgotten for one that committed.
public struct Changes: Sendable {
    let clock: any WallClock
    let observers: [any CommitObserver]
    /// Touched after every commit, with or without work: open console pages refresh.
    let activity: ConsoleActivity?
    /// Numbers the events a change appended pending, once it has committed (PostgreSQL; see ``EventSequencer``).
    let sequencer: EventSequencer?
    let logger: Logger

    public init(
        clock: any WallClock, observers: [any CommitObserver], activity: ConsoleActivity? = nil, events: EventLog? = nil,
        logger: Logger = Logger(label: "switchboard.changes")
    ) {
        self.clock = clock
        self.observers = observers
        self.activity = activity
        self.sequencer = events?.sequencer
        self.logger = logger
    }

    /// Runs `body` in one transaction of `resource`'s store and tells the observers what it left once committed.
    public func run<T: Sendable>(in resource: ResourceHandle, _ body: @Sendable (Transaction) async throws -> T) async throws -> T {
        let effects = CommitEffects()
        let clock = self.clock
        let result = try await resource.store.transaction { db in
            try await body(Transaction(db: db, resource: resource, now: clock.now, effects: effects))
        }
        activity?.touch(resource.id)
        var work = effects.work
        if work.contains(.pendingEvents) {
            work.remove(.pendingEvents)
            // The change has committed: failing it now would have the caller retry what is done. Its events stay
            // pending until the next pass numbers them (at the latest the maintenance pass's).
            if let sequencer {
                do {
                    work.formUnion(try await sequencer.sequence(resource, clock: clock))
                } catch {
                    logger.warning(
                        "numbering the events of a committed change failed; the next pass will",
                        metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
                }
            }
        }
        if !work.isEmpty {
            for observer in observers { await observer.committed(work, resource: resource) }
        }
        return result
    }
}
