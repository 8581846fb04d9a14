import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteNIO

/// The embedded engine: one SQLite file in WAL mode, a single writer whose transactions commit in batches
/// (``GroupCommitWriter``), and a few readers.
///
/// It talks to SQLite directly (`SQLite/`) rather than through sqlite-kit's `SQLiteConnection`, which prepares every
/// statement anew and hops to a thread pool and back for each: statements here come from a per-connection cache
/// (``StatementCache``) and run on the caller's thread, and only what blocks (`BEGIN IMMEDIATE` while another process
/// writes, `COMMIT`, checkpoints) runs on a thread of the engine's own. Queries, binds, rows and errors are
/// sqlite-kit's, so callers cannot tell the engines apart.
///
/// Every connection turns on `secure_delete`, so deleted rows are overwritten in the file rather than left in free
/// pages, and `foreign_keys`. Batches start with `BEGIN IMMEDIATE`, so two processes on the same file (the server and
/// the `resource` commands) queue on the busy timeout instead of failing on a lock upgrade. Readers are `query_only`:
/// a write belongs in ``transaction(_:)``.
public final class SQLiteDatabase: Database {
    public let engine = DatabaseEngine.sqlite
    public let location: DatabaseLocation
    let path: String
    let writer: GroupCommitWriter
    let readers: ReaderPool
    let checkpointer: Checkpointer
    private let thread: BlockingThread
    private let logger: Logger
    private let eventLoop: any EventLoop

    /// - Parameter checkpointAfter: how many frames the write-ahead log grows by before ``Checkpointer`` copies it into
    ///   the file (``defaultCheckpointThreshold``).
    public init(
        path: String, readers readerCount: Int = 4, batchLimits: BatchLimits = BatchLimits(),
        checkpointAfter: Int = SQLiteDatabase.defaultCheckpointThreshold,
        logger: Logger
    ) async throws {
        precondition(readerCount > 0)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let thread = BlockingThread()
        let connections: [SQLiteHandle]
        do {
            // The writer opens first: WAL is a property of the file, set once, before any reader looks at it.
            connections = try await thread.run {
                let writer = try SQLiteHandle(
                    path: path, busyTimeout: Self.busyTimeout, pragmas: Self.connectionPragmas + ["PRAGMA journal_mode = WAL"])
                var connections = [writer]
                do {
                    for _ in 0..<readerCount {
                        connections.append(
                            try SQLiteHandle(
                                path: path, busyTimeout: Self.busyTimeout, pragmas: Self.connectionPragmas + ["PRAGMA query_only = ON"]))
                    }
                } catch {
                    for connection in connections { connection.close() }
                    throw error
                }
                return connections
            }
        } catch {
            await thread.shutdown()
            throw error
        }
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        // The checkpointer's connection and thread: a pass fsyncs the file while the writer's thread commits.
        let checkpointThread = BlockingThread()
        let checkpointConnection: SQLiteHandle
        do {
            checkpointConnection = try await checkpointThread.run {
                try SQLiteHandle(path: path, busyTimeout: Self.busyTimeout, pragmas: Self.connectionPragmas)
            }
        } catch {
            try? await thread.run { for connection in connections { connection.close() } }
            await thread.shutdown()
            await checkpointThread.shutdown()
            throw error
        }
        connections[0].checkpointElsewhere()
        let checkpointer = Checkpointer(connection: checkpointConnection, thread: checkpointThread, threshold: checkpointAfter, logger: logger)
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        self.path = path
        self.location = .sqlite(path: path)
        self.thread = thread
        self.logger = logger
        self.eventLoop = eventLoop
        self.checkpointer = checkpointer
        self.writer = GroupCommitWriter(
            connection: connections[0], thread: thread, limits: batchLimits, logger: logger, eventLoop: eventLoop, checkpointer: checkpointer)
        self.readers = ReaderPool(Array(connections.dropFirst()))
    }

    /// 16,000 frames (64 MB of 4 KB pages; SQLite's own default is 1,000). A pass writes each page once however many
    /// commits changed it since the last pass, and a send changes the same index pages commit after commit (the blind
    /// indexes of numbers and addresses are random by design): over 10,000 SMS messages with 100 recipients a request
    /// the server wrote 52 KB a message instead of 78 KB, and sent 4–10% more a second. The price is disk: under
    /// writes that never pause the log file can reach four times this (``Checkpointer/writerLimit``, about 260 MB) before it
    /// starts over, and it keeps that size until the maintenance pass truncates it (``checkpoint()``).
    public static let defaultCheckpointThreshold = 16_000

    /// How long a connection waits for another process's lock (the `resource` commands share the file).
    static let busyTimeout = Duration.seconds(15)

    static let connectionPragmas = [
        "PRAGMA foreign_keys = ON",
        "PRAGMA secure_delete = ON",
        "PRAGMA synchronous = FULL",
        "PRAGMA cache_size = -32768",
        // Savepoint journals and sorts stay in memory: every member of a commit batch runs in a savepoint, whose
        // journal would otherwise be a temporary file written (a system call per page) inside the writer's turn,
        // and neither that journal nor a sort's spill, which hold personal data, ever reaches a disk.
        "PRAGMA temp_store = MEMORY",
    ]

    public func read<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await readers.withConnection { connection in
            let lease = connection.beginLease()
            defer { connection.endLease() }
            return try await body(EngineSQLDatabase(connection: connection, lease: lease, logger: logger, eventLoop: eventLoop))
        }
    }

    /// Runs `body` in a transaction of its own inside the writer's current batch; returns once the batch is on disk.
    public func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await writer.transaction(body)
    }

    /// Moves every committed page from the write-ahead log into the database file and empties the log, so that
    /// content deleted (and overwritten by `secure_delete`) does not survive in old WAL frames.
    ///
    /// A reader in the middle of a query can keep the checkpoint from finishing (SQLite answers "busy"); it is tried
    /// again a few times, giving the writer back in between, and whatever remains is finished by the next checkpoint.
    @discardableResult
    public func checkpoint() async throws -> Bool {
        for attempt in 0..<5 {
            let busy = try await writer.exclusive { connection in
                try connection.query("PRAGMA wal_checkpoint(TRUNCATE)", [], lease: nil).values.first?.first?.integer ?? 0
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

    /// Lets the batch in progress commit, then closes every connection. Callers still waiting get ``DatabaseClosed``.
    public func shutdown() async {
        await writer.close()
        await checkpointer.close()
        let readers = await readers.close()
        try? await thread.run {
            for reader in readers { reader.close() }
        }
        await thread.shutdown()
    }
}

/// The database was shut down while the caller waited for a connection.
public struct DatabaseClosed: Error {}
