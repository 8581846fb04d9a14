import Logging
import SQLKit

/// The two engines Switchboard stores data in. Queries are written once with sql-kit; what the engines spell
/// differently is asked of the dialect (``SQLSkipLocked``, ``SQLDatabase/lockUntilCommit(key:)``) or of the
/// database (``Database/reclaimDeletedRows(in:_:)``, ``Database/notifications``), never at call sites.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
}

/// How soon erased rows must be unrecoverable from a database's files.
public enum ReclaimUrgency: Sendable {
    /// Before the call returns: a deleted resource, whose data key was in the row.
    case now
    /// Within a maintenance interval: erased messages and identities. SQLite does it at once anyway (cheap);
    /// PostgreSQL leaves it to the maintenance pass, which vacuums every table personal data is erased from, so a
    /// deletion does not pay for a `VACUUM` of its tables.
    case withinMaintenanceInterval
}

/// A database: the directory or one geography's store.
///
/// All access goes through ``read(_:)`` and ``transaction(_:)`` so that every change is atomic and the SQLite
/// engine can keep its single serialized writer.
public protocol Database: Sendable {
    var engine: DatabaseEngine { get }
    /// A printable description of where the database lives (no secrets).
    var location: DatabaseLocation { get }

    /// Runs `body` with a connection for reading.
    func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Runs `body` in one transaction, committed when it returns and rolled back when it throws.
    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T

    /// Makes rows deleted from `tables` unrecoverable from the database's files: the one path every erasure ends
    /// in. SQLite has already overwritten them (`secure_delete`) and moves the write-ahead log into the file;
    /// PostgreSQL vacuums the tables, since deleted row versions stay on disk until then.
    func reclaimDeletedRows(in tables: [String], _ urgency: ReclaimUrgency) async throws

    /// Where changes committed by other processes are announced (`LISTEN` on PostgreSQL); `nil` when the engine
    /// has no such channel.
    var notifications: (any NotificationSource)? { get }

    /// Closes every connection.
    func shutdown() async
}

/// A database that tells its listeners about notifications other connections send at commit.
public protocol NotificationSource: Sendable {
    /// Follows `channel` until cancelled, reconnecting after failures. `handler` also receives `"*"` whenever
    /// listening (re)starts, since notifications sent while not listening are lost.
    func listen(on channel: String, logger: Logger, _ handler: @escaping @Sendable (String) async -> Void) async
}

extension Database {
    public var notifications: (any NotificationSource)? { nil }
}

/// Runs `operation` to completion even when the calling task is cancelled: a transaction's COMMIT or ROLLBACK
/// must reach the database, or the connection goes back to its pool still inside the transaction.
func uncancellable<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await operation() }.value
}
