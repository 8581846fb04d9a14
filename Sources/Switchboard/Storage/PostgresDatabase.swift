import Logging
import NIOSSL
import PostgresKit
import PostgresNIO
import SQLKit

/// A PostgreSQL database reached through a pooled `PostgresClient`. Several Switchboard nodes may share it.
public final class PostgresDatabase: Database, NotificationSource {
    public let engine = DatabaseEngine.postgres
    public let location: DatabaseLocation
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    /// The statements run prepared, by name; `nil` when none are.
    let preparedStatements: PreparedStatementNames?

    public init(location: PostgresLocation, maximumConnections: Int = 16, logger: Logger) async throws {
        self.location = .postgres(location)
        let tls: PostgresClient.Configuration.TLS
        switch location.tls {
        case .disable: tls = .disable
        case .prefer: tls = .prefer(.makeClientConfiguration())
        case .require: tls = .require(.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username,
            password: location.password, database: location.database, tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.minimumConnections = 0
        preparedStatements = location.preparedStatements > 0 ? PreparedStatementNames(limit: location.preparedStatements) : nil
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        // Detached: the pool lives until ``shutdown()``, not until the graceful shutdown of whichever service
        // happened to open it first (PostgresClient.run() ends itself on a graceful shutdown it inherits).
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        self.runner = Task.detached {
            signal.finish()
            await client.run()
        }
        // Lease connections only once the pool runs (PostgresClient warns about leases before that).
        for await _ in started {}
        // Fail now, with the server's message, rather than on the first request.
        do {
            try await client.withConnection { connection in
                _ = try await connection.query("SELECT 1", logger: logger)
            }
        } catch {
            runner.cancel()
            throw DatabaseUnavailable(location: self.location, reason: DatabaseErrorDescription.describe(error))
        }
    }

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(sql(connection))
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let sql = sql(connection)
            try await uncancellable { try await sql.raw("BEGIN").run() }
            do {
                let result = try await body(sql)
                try await uncancellable { try await sql.raw("COMMIT").run() }
                return result
            } catch {
                // A cancelled task must still end the transaction before the connection returns to the pool.
                try? await uncancellable { try await sql.raw("ROLLBACK").run() }
                throw error
            }
        }
    }

    /// sql-kit's view of a leased connection: statements run often are prepared (``PreparingSQLDatabase``).
    private func sql(_ connection: PostgresConnection) -> any SQLDatabase {
        guard let preparedStatements else { return connection.sql(queryLogLevel: nil) }
        return PreparingSQLDatabase(connection: connection, names: preparedStatements)
    }

    public var notifications: (any NotificationSource)? { self }

    /// Deleted row versions stay in PostgreSQL's files until `VACUUM` reclaims them. `VACUUM` scans the tables'
    /// indexes, too costly for every deleted message, so unless the caller needs it now it is left to the
    /// maintenance pass, which vacuums every table personal data is erased from.
    public func reclaimDeletedRows(in tables: [String], _ urgency: ReclaimUrgency) async throws {
        guard urgency == .now, !tables.isEmpty else { return }
        try await vacuum(tables)
    }

    /// `VACUUM` of `tables`, which cannot run inside a transaction, so it runs on a connection of its own.
    public func vacuum(_ tables: [String]) async throws {
        guard !tables.isEmpty else { return }
        let list = tables.map { "\"\($0)\"" }.joined(separator: ", ")
        try await read { db in try await db.raw("VACUUM \(unsafeRaw: list)").run() }
    }

    /// Follows `NOTIFY` on `channel` until cancelled, reconnecting after failures. `handler` also receives `"*"`
    /// whenever listening (re)starts, since notifications sent while not listening are lost.
    public func listen(on channel: String, logger: Logger, _ handler: @escaping @Sendable (String) async -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        await handler("*")
                        for try await notification in notifications {
                            await handler(notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("listening for notifications failed; retrying", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    public func shutdown() async {
        runner.cancel()
        _ = await runner.value
    }
}

/// A database that cannot be reached or opened.
public struct DatabaseUnavailable: Error, CustomStringConvertible, Sendable {
    public let location: DatabaseLocation
    public let reason: String
    public var description: String { "cannot use the database \(location): \(reason)" }
}
