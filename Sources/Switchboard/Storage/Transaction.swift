import SQLKit
import Synchronization

/// One change to one resource's data: a store transaction, the resource it belongs to, the time of the change
/// (read once from the clock, after the transaction began) and what the change leaves for the rest of the node to
/// do once it commits. Capabilities get one from ``Changes/run(in:_:)``.
public struct Transaction: Sendable {
    /// The transaction's connection.
    public let db: any SQLDatabase
    public let resource: ResourceHandle
    /// The time of the change: every row it writes carries this time.
    public let now: Timestamp
    let effects: CommitEffects

    init(db: any SQLDatabase, resource: ResourceHandle, now: Timestamp, effects: CommitEffects) {
        self.db = db
        self.resource = resource
        self.now = now
        self.effects = effects
    }

    /// Notes work the change leaves for after its commit. The event log and the outbox call this when they write;
    /// ``Changes`` hands the notes to its observers once the transaction has committed (and drops them when it
    /// rolls back).
    public func leaves(_ work: CommittedWork) {
        effects.note(work)
    }
}

/// Work a committed change leaves for the node, so that what follows it is woken only when there is something
/// for it.
public struct CommittedWork: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// Events were appended to the resource's event log (real-time sessions follow it).
    public static let events = CommittedWork(rawValue: 1 << 0)
    /// Rows were queued in the outbox (the delivery workers take them).
    public static let outbox = CommittedWork(rawValue: 1 << 1)
    /// Events were appended pending, to be numbered once the change has committed (``EventSequencer``).
    public static let pendingEvents = CommittedWork(rawValue: 1 << 2)
}

/// The work a transaction has noted so far.
final class CommitEffects: Sendable {
    private let noted = Mutex<CommittedWork>([])

    func note(_ work: CommittedWork) {
        noted.withLock { $0.formUnion(work) }
    }

    var work: CommittedWork { noted.withLock { $0 } }
}
