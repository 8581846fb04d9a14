import Logging
import SQLKit

/// The two engines Switchboard stores data in. Queries are written once with sql-kit; the few places where the
/// engines differ ask ``Database/engine``.
public enum DatabaseEngine: String, Sendable {
    case sqlite
    case postgres
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

    /// Closes every connection.
    func shutdown() async
}


/// Runs `operation` to completion even when the calling task is cancelled: a transaction's COMMIT or ROLLBACK
/// must reach the database, or the connection goes back to its pool still inside the transaction.
func uncancellable<T: Sendable>(_ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await Task { try await operation() }.value
}

extension Database {
    /// Makes rows deleted from `tables` unrecoverable from the database's files: SQLite has already overwritten them
    /// (`secure_delete`) and moves the write-ahead log into the file; PostgreSQL vacuums the tables, since deleted
    /// row versions stay on disk until then.
    public func reclaimDeletedRows(in tables: [String]) async throws {
        switch engine {
        case .sqlite:
            try await (self as? SQLiteDatabase)?.checkpoint()
        case .postgres:
            guard !tables.isEmpty else { return }
            // VACUUM cannot run inside a transaction; `read` runs it on its own.
            let list = tables.map { "\"\($0)\"" }.joined(separator: ", ")
            try await read { db in try await db.raw("VACUUM \(unsafeRaw: list)").run() }
        }
    }
}
