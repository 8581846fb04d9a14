import Foundation
import Logging
import SQLKit
import SQLiteKit
import SQLiteNIO
import NIOPosix

/// The embedded engine: one SQLite file in WAL mode with a single serialized writer and a few readers.
///
/// Every connection turns on `secure_delete`, so deleted rows are overwritten in the file rather than left in free
/// pages, and `foreign_keys`. Writers start with `BEGIN IMMEDIATE` so two processes on the same file (the server
/// and the `resource` commands) queue on the busy timeout instead of failing on a lock upgrade.
public final class SQLiteDatabase: Database {
    public let engine = DatabaseEngine.sqlite
    public let location: DatabaseLocation
    let path: String
    private let writer: ResourcePool<SQLiteConnection>
    private let readers: ResourcePool<SQLiteConnection>
    /// One thread per connection: SQLite calls block, and a writer waiting out another process's lock must never
    /// hold up a connection of this or any other database.
    private let threads: NIOThreadPool

    public init(path: String, readers readerCount: Int = 4, logger: Logger) async throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.path = path
        self.location = .sqlite(path: path)
        let threads = NIOThreadPool(numberOfThreads: readerCount + 1)
        threads.start()
        self.threads = threads
        let open: @Sendable () async throws -> SQLiteConnection = {
            let connection = try await SQLiteConnection.open(
                storage: .file(path: path), threadPool: threads, logger: logger,
                on: MultiThreadedEventLoopGroup.singleton.any())
            for pragma in Self.connectionPragmas {
                _ = try await connection.query(pragma)
            }
            return connection
        }
        self.writer = ResourcePool(maximum: 1, make: open)
        self.readers = ResourcePool(maximum: readerCount, make: open)
        // WAL is a property of the file; setting it once, through the writer, is enough.
        do {
            try await writer.withResource { connection in
                _ = try await connection.query("PRAGMA journal_mode = WAL")
            }
        } catch {
            await Self.close(writer: writer, readers: readers, threads: threads)
            throw error
        }
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
    }

    static let connectionPragmas = [
        "PRAGMA busy_timeout = 15000",
        "PRAGMA foreign_keys = ON",
        "PRAGMA secure_delete = ON",
        "PRAGMA synchronous = FULL",
        "PRAGMA cache_size = -32768",
    ]

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.withResource { connection in
            try await body(connection.sql(queryLogLevel: nil))
        }
    }

    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.withResource { connection in
            do {
                _ = try await uncancellable { try await connection.query("BEGIN IMMEDIATE") }
            } catch let error as SQLiteError where error.reason == .error && error.message.contains("within a transaction") {
                // An earlier transaction on this connection was never ended (its ROLLBACK failed): end it now.
                _ = try? await uncancellable { try await connection.query("ROLLBACK") }
                _ = try await uncancellable { try await connection.query("BEGIN IMMEDIATE") }
            }
            do {
                let result = try await body(connection.sql(queryLogLevel: nil))
                _ = try await uncancellable { try await connection.query("COMMIT") }
                return result
            } catch {
                // A cancelled task must still end the transaction, or the single writer stays inside it.
                _ = try? await uncancellable { try await connection.query("ROLLBACK") }
                throw error
            }
        }
    }

    /// Moves every committed page from the write-ahead log into the database file and empties the log, so that
    /// content deleted (and overwritten by `secure_delete`) does not survive in old WAL frames.
    ///
    /// A reader in the middle of a query can keep the checkpoint from finishing (SQLite answers "busy"); it is tried
    /// again a few times, and whatever remains is finished by the next checkpoint.
    @discardableResult
    public func checkpoint() async throws -> Bool {
        for attempt in 0..<5 {
            let busy = try await writer.withResource { connection in
                try await connection.query("PRAGMA wal_checkpoint(TRUNCATE)").first?.column("busy")?.integer ?? 0
            }
            if busy == 0 { return true }
            try await Task.sleep(for: .milliseconds(20 * (attempt + 1)))
        }
        return false
    }

    /// Deleted rows are already overwritten in the file (`secure_delete`); what remains are old frames in the
    /// write-ahead log, which a checkpoint moves into the file and truncates. Cheap, so done at once whatever the
    /// urgency.
    public func reclaimDeletedRows(in tables: [String], _ urgency: ReclaimUrgency) async throws {
        try await checkpoint()
    }

    public func shutdown() async {
        await Self.close(writer: writer, readers: readers, threads: threads)
    }

    private static func close(
        writer: ResourcePool<SQLiteConnection>, readers: ResourcePool<SQLiteConnection>, threads: NIOThreadPool
    ) async {
        for connection in await writer.close() + readers.close() {
            try? await connection.close()
        }
        try? await threads.shutdownGracefully()
    }
}
