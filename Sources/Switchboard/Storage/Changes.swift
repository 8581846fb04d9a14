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

    public init(clock: any WallClock, observers: [any CommitObserver], activity: ConsoleActivity? = nil) {
        self.clock = clock
        self.observers = observers
        self.activity = activity
    }

    /// Runs `body` in one transaction of `resource`'s store and tells the observers what it left once committed.
    public func run<T: Sendable>(in resource: ResourceHandle, _ body: @Sendable (Transaction) async throws -> T) async throws -> T {
        let effects = CommitEffects()
        let clock = self.clock
        let result = try await resource.store.transaction { db in
            try await body(Transaction(db: db, resource: resource, now: clock.now, effects: effects))
        }
        activity?.touch(resource.id)
        let work = effects.work
        if !work.isEmpty {
            for observer in observers { await observer.committed(work, resource: resource) }
        }
        return result
    }
}
