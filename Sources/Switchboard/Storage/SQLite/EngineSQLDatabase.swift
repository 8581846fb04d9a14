import Logging
import NIOCore
import SQLKit
import SQLiteKit
import SQLiteNIO

/// The `SQLDatabase` a `read` or `transaction` body gets: sql-kit's view of one leased connection.
///
/// Queries are serialized with sqlite-kit's `SQLiteDialect` and their binds encoded with `SQLiteDataEncoder`, as
/// sqlite-kit's own `SQLDatabase` does, and run inline on the caller's thread (see ``SQLiteHandle``).
struct EngineSQLDatabase: SQLDatabase {
    let connection: SQLiteHandle
    let lease: UInt64
    let logger: Logger
    /// Only for sql-kit's future-returning API; nothing runs on it.
    let eventLoop: any EventLoop

    var version: (any SQLDatabaseReportedVersion)? { SQLiteLibraryVersion.runtime }
    var dialect: any SQLDialect { SQLiteDialect() }
    /// Statements are not logged: binds carry personal data.
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeCompletedFuture { try run(query, onRow) }
    }

    /// Rows are handed to `onRow` after the statement is reset and the connection's lock released, so a callback
    /// that queries again cannot deadlock.
    private func run(_ query: any SQLExpression, _ onRow: @Sendable (any SQLRow) -> Void) throws {
        let (sql, binds) = serialize(query)
        let rows = try connection.query(sql, binds.map { try Self.encoder.encode($0) }, lease: lease)
        for values in rows.values {
            onRow(SQLiteRowValues(columns: rows.columns, values: values, decoder: Self.decoder))
        }
    }

    /// Made once: each holds a JSON coder, which is not free to create.
    private static let encoder = SQLiteDataEncoder()
    private static let decoder = SQLiteDataDecoder()
}
