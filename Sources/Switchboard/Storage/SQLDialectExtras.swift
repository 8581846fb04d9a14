import SQLKit

// The few things Switchboard needs that the engines spell differently, written the sql-kit way: as expressions
// that ask the serializer's dialect, so no call site ever branches on the engine. Where sql-kit's dialect has no
// capability flag for a feature, the one place that knows which dialect has it is below.

extension SQLDialect {
    /// Transaction-scoped advisory locks (`pg_advisory_xact_lock`): PostgreSQL. On SQLite the single writer already
    /// serializes every transaction, so there is nothing to lock.
    var hasAdvisoryLocks: Bool { name == "postgresql" }

    /// `NOTIFY` delivered to other connections at commit: PostgreSQL. SQLite has no listeners to tell.
    var hasNotifications: Bool { name == "postgresql" }

    /// Transactions commit concurrently, each paying its own wait for the disk, so a row every transaction updates
    /// serializes them on that wait (PostgreSQL; SQLite's single writer commits batches of them at once). The event
    /// log numbers events after the commit there (``EventSequencer``).
    var hasConcurrentWriters: Bool { name == "postgresql" }
}

/// `FOR UPDATE SKIP LOCKED`: rows another transaction has locked are left out rather than waited for, so several
/// nodes claim disjoint work. Serializes to nothing where the dialect has no row locks (SQLite, whose single writer
/// keeps two claims apart anyway).
public struct SQLSkipLocked: SQLExpression {
    public init() {}

    public func serialize(to serializer: inout SQLSerializer) {
        guard let lock = serializer.dialect.exclusiveSelectLockExpression else { return }
        lock.serialize(to: &serializer)
        serializer.write(" SKIP LOCKED")
    }
}

/// `SELECT pg_advisory_xact_lock(key)`: a lock on `key` held until the transaction ends.
public struct SQLAdvisoryTransactionLock: SQLExpression {
    public let key: Int64

    public init(key: Int64) { self.key = key }

    public func serialize(to serializer: inout SQLSerializer) {
        serializer.write("SELECT pg_advisory_xact_lock(")
        serializer.write(bind: key)
        serializer.write(")")
    }
}

/// `SELECT pg_notify(channel, payload)`: delivered to every listener of `channel` when (and only if) the
/// transaction commits.
public struct SQLNotify: SQLExpression {
    public let channel: String
    public let payload: String

    public init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }

    public func serialize(to serializer: inout SQLSerializer) {
        serializer.write("SELECT pg_notify(")
        serializer.write(bind: channel)
        serializer.write(", ")
        serializer.write(bind: payload)
        serializer.write(")")
    }
}

extension SQLDatabase {
    /// Takes a lock on `key` until the current transaction ends, where the engine has such locks; on SQLite, whose
    /// single writer is the lock, does nothing.
    public func lockUntilCommit(key: Int64) async throws {
        guard dialect.hasAdvisoryLocks else { return }
        try await execute(sql: SQLAdvisoryTransactionLock(key: key)) { _ in }
    }

    /// Notifies the listeners of `channel` when the current transaction commits, where the engine has listeners.
    public func notifyOnCommit(channel: String, payload: String) async throws {
        guard dialect.hasNotifications else { return }
        try await execute(sql: SQLNotify(channel: channel, payload: payload)) { _ in }
    }
}

extension SQLDeleteBuilder {
    /// Runs the delete and returns how many rows it deleted, through `RETURNING` (SQLite ≥ 3.35 and PostgreSQL both
    /// have it), so the count is the statement's own and not a separate read another writer could slip between.
    func runCounting() async throws -> Int {
        try await returning("resource_id").all().count
    }
}

extension SQLUpdateBuilder {
    /// Runs the update and returns how many rows it changed (see ``SQLDeleteBuilder/runCounting()``).
    func runCounting() async throws -> Int {
        try await returning("resource_id").all().count
    }
}
