import Logging
import NIOCore
import SQLKit
import SQLiteNIO
import Synchronization
import VaporCSQLite

/// The single writer connection, shared by transactions that commit together.
///
/// A `COMMIT` with `synchronous = FULL` writes every changed page to the log and fsyncs it; paid per transaction, it
/// caps the writer at a few hundred transactions a second. So transactions that arrive while one runs do not each
/// wait for their own commit: they run one after another inside one SQLite transaction, each in a savepoint of its
/// own, and one `COMMIT` makes the whole batch durable.
///
/// - The first transaction of a batch runs `BEGIN IMMEDIATE`; each runs its body between `SAVEPOINT` and `RELEASE`,
///   or `ROLLBACK TO` when it throws, which undoes its changes and nobody else's.
/// - When a body is done, the writer passes straight to the next waiting transaction, unless nobody waits, the
///   batch holds ``BatchLimits/transactions`` or has been open ``BatchLimits/duration``; then the batch commits
///   (on ``BlockingThread``) while newcomers queue for the next one. A lone transaction commits at once.
/// - `transaction` returns once its batch's `COMMIT` has succeeded, so returning still means durable. If the
///   `COMMIT` fails, or SQLite rolls the whole transaction back on its own (`SQLITE_FULL`, `SQLITE_IOERR`,
///   `RAISE(ROLLBACK)`, …, seen as the connection being back in autocommit), every member waiting on it gets an
///   error and nothing of the batch is in the database.
///
/// Waiting is a queue of continuations; no thread blocks. A caller cancelled while queued leaves the queue with a
/// `CancellationError`; once it holds the writer, its savepoint and its batch's commit run to the end whatever
/// happens to its task, so cancellation can neither leave the writer inside a transaction nor lose another caller's
/// result.
final class GroupCommitWriter: Sendable {
    /// What a queued caller is given when the writer becomes its.
    private enum Grant {
        /// No transaction is open: a transaction begins one; exclusive work (a checkpoint) runs alone.
        case idle
        /// The previous member handed over an open batch.
        case inTransaction
    }

    private struct Waiter {
        let id: UInt64
        /// Needs the writer outside any transaction.
        let exclusive: Bool
        let continuation: CheckedContinuation<Grant, any Error>
    }

    private struct Batch {
        let started: ContinuousClock.Instant
        var members = 0
        /// The members whose body succeeded, waiting for the `COMMIT`.
        var committing: [CheckedContinuation<Void, any Error>] = []
    }

    private struct State {
        /// Someone holds the writer: a body, a `BEGIN`, a `COMMIT` in flight, or exclusive work.
        var owned = false
        var queue: [Waiter] = []
        var batch: Batch?
        var closed = false
        var nextID: UInt64 = 0
        /// ``close()`` waiting for the writer to go idle.
        var idle: [CheckedContinuation<Void, Never>] = []
    }

    private enum Next {
        case handOff(CheckedContinuation<Grant, any Error>)
        case commit([CheckedContinuation<Void, any Error>])
    }

    let connection: SQLiteHandle
    private let thread: BlockingThread
    private let limits: BatchLimits
    private let logger: Logger
    private let eventLoop: any EventLoop
    /// Told the log's size after each commit, when the connection leaves checkpoints to it.
    private let checkpointer: Checkpointer?
    private let state = Mutex(State())

    init(
        connection: SQLiteHandle, thread: BlockingThread, limits: BatchLimits, logger: Logger, eventLoop: any EventLoop,
        checkpointer: Checkpointer? = nil
    ) {
        self.connection = connection
        self.thread = thread
        self.limits = limits
        self.logger = logger
        self.eventLoop = eventLoop
        self.checkpointer = checkpointer
    }

    /// Transactions waiting for the writer.
    var queued: Int { state.withLock { $0.queue.count } }

    func transaction<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        if try await acquire(exclusive: false) == .idle {
            try await beginBatch()
        }
        let result = await runMember(body)
        if connection.isAutocommit {
            throw abandonBatch(after: result)
        }
        switch result {
        case .success(let value):
            try await withCheckedThrowingContinuation { finishMember(committing: $0) }
            return value
        case .failure(let error):
            finishMember(committing: nil)
            throw error
        }
    }

    /// Runs `work` with the writer outside any transaction (after the batch in progress has committed).
    func exclusive<T: Sendable>(_ work: @escaping @Sendable (SQLiteHandle) throws -> T) async throws -> T {
        _ = try await acquire(exclusive: true)
        defer { releaseIdleWriter() }
        return try await thread.run { [connection] in try work(connection) }
    }

    /// Fails the queued callers, waits for the batch in progress to commit, and closes the connection.
    func close() async {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.queue = [] }
            return state.queue
        }
        for waiter in waiters { waiter.continuation.resume(throwing: DatabaseClosed()) }
        await withCheckedContinuation { continuation in
            let busy = state.withLock { state in
                if state.owned { state.idle.append(continuation) }
                return state.owned
            }
            if !busy { continuation.resume() }
        }
        try? await thread.run { [connection] in connection.close() }
    }

    // MARK: Batches

    /// Opens a batch with the writer the caller was just given.
    private func beginBatch() async throws {
        do {
            // A batch whose ROLLBACK failed left its transaction open; end it rather than fail every BEGIN.
            if !connection.isAutocommit { try connection.run(.rollback) }
            // Beginning inline saves two thread hops per batch; only another process's lock makes it wait.
            if try !connection.tryBegin() {
                try await thread.run { [connection] in try connection.run(.begin) }
            }
        } catch {
            releaseIdleWriter()
            throw error
        }
        state.withLock { $0.batch = Batch(started: .now) }
    }

    /// SQLite ended the transaction on its own, and everything the batch did so far is gone: fails the members
    /// waiting for its commit, frees the writer, and returns what the member that found out throws.
    private func abandonBatch<T>(after result: Result<T, any Error>) -> any Error {
        // SQLite's own message only: a body's error could carry data that must not travel to other callers' logs.
        let cause: String
        switch result {
        case .failure(let error as SQLiteError): cause = "\(error)"
        case .failure: cause = "a transaction body failed"
        case .success: cause = "a transaction body caught the error that ended it"
        }
        let abandoned = SQLiteErrors.make(
            reason: .abortByRollback, message: "SQLite rolled back the transaction, and with it the changes of its commit batch: \(cause)")
        let members = state.withLock { state in
            defer { state.batch = nil }
            return state.batch?.committing ?? []
        }
        logger.warning("SQLite rolled back a commit batch", metadata: ["batch.members": "\(members.count + 1)"])
        for member in members { member.resume(throwing: abandoned) }
        releaseIdleWriter()
        if case .failure(let error) = result { return error }
        return abandoned
    }

    /// Runs `body` in a savepoint of the open batch. Its changes are undone when it throws; only a failure to undo
    /// them rolls back the whole transaction (which the caller then sees as autocommit).
    private func runMember<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async -> Result<T, any Error> {
        let lease = connection.beginLease()
        var result: Result<T, any Error>
        do {
            try connection.run(.savepoint)
            let database = EngineSQLDatabase(connection: connection, lease: lease, logger: logger, eventLoop: eventLoop)
            result = .success(try await body(database))
        } catch {
            result = .failure(error)
        }
        connection.endLease()
        if case .success = result, connection.hasPendingForeignKeyViolations {
            // What this body's COMMIT would have reported on its own.
            result = .failure(SQLiteErrors.make(code: SQLITE_CONSTRAINT | (3 << 8), message: "FOREIGN KEY constraint failed"))
        }
        if case .success = result {
            do { try connection.run(.release) } catch { result = .failure(error) }
        }
        if case .failure = result, !connection.isAutocommit {
            do {
                try connection.run(.rollbackToSavepoint)
                try connection.run(.release)
            } catch {
                try? connection.run(.rollback)
            }
        }
        return result
    }

    /// Ends a member's turn: hands the open batch to the next queued transaction, or commits it.
    /// `committing` is the member's continuation when its body succeeded.
    private func finishMember(committing: CheckedContinuation<Void, any Error>?) {
        let next = state.withLock { state -> Next in
            guard var batch = state.batch else { preconditionFailure("a member finished outside a batch") }
            batch.members += 1
            if let committing { batch.committing.append(committing) }
            if let waiter = state.queue.first, !waiter.exclusive, batch.members < limits.transactions,
                ContinuousClock.now - batch.started < limits.duration
            {
                state.queue.removeFirst()
                state.batch = batch
                return .handOff(waiter.continuation)
            }
            state.batch = nil
            return .commit(batch.committing)
        }
        switch next {
        case .handOff(let waiter):
            waiter.resume(returning: .inTransaction)
        case .commit(let members):
            commit(members)
        }
    }

    /// Commits the batch on the blocking thread and then answers its members; nothing awaits this, so no task's
    /// cancellation can stop it.
    private func commit(_ members: [CheckedContinuation<Void, any Error>]) {
        thread.submit(
            { [connection, checkpointer] in
                guard !members.isEmpty else { return try connection.run(.rollback) }
                do {
                    try connection.run(.commit)
                } catch {
                    // A failed COMMIT can leave the transaction open (SQLITE_BUSY); nothing of it may survive.
                    if !connection.isAutocommit { try? connection.run(.rollback) }
                    throw error
                }
                if checkpointer?.walGrew(to: connection.walFrames) == true {
                    // Writes never paused for a background pass to catch up: this turn's pass lets the log start over.
                    _ = try? connection.query(Checkpointer.passive, [], lease: nil)
                }
            },
            completion: { [self] result in
                if case .failure(let error) = result, !members.isEmpty {
                    logger.warning("A commit batch failed", metadata: ["batch.members": "\(members.count)", "error": "\(error)"])
                }
                // The next batch first: its head then runs before the members, who only return their results.
                releaseIdleWriter()
                for member in members { member.resume(with: result) }
            })
    }

    // MARK: Ownership

    /// Waits for the writer. The caller then owns it until it passes it on (``finishMember(committing:)``) or lets it
    /// go (``releaseIdleWriter()``).
    private func acquire(exclusive: Bool) async throws -> Grant {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<Grant, any Error>? in
                    if state.closed { return .failure(DatabaseClosed()) }
                    if !state.owned {
                        state.owned = true
                        return .success(.idle)
                    }
                    // Cancelled before it could queue: the cancellation handler has already run and found nothing.
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.queue.append(Waiter(id: id, exclusive: exclusive, continuation: continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.queue.firstIndex { $0.id == id }.map { state.queue.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Passes the writer, outside any transaction, to the first queued caller, or marks it free.
    private func releaseIdleWriter() {
        let (next, idle) = state.withLock { state -> (Waiter?, [CheckedContinuation<Void, Never>]) in
            if !state.queue.isEmpty { return (state.queue.removeFirst(), []) }
            state.owned = false
            defer { state.idle = [] }
            return (nil, state.idle)
        }
        next?.continuation.resume(returning: .idle)
        for waiter in idle { waiter.resume() }
    }
}

/// When a commit batch stops taking transactions and commits.
public struct BatchLimits: Sendable {
    /// At most this many transactions share one `COMMIT`.
    public var transactions: Int
    /// A batch open this long commits even though transactions still wait, so the first member's latency is bounded
    /// by roughly this plus one fsync.
    public var duration: Duration

    public init(transactions: Int = 256, duration: Duration = .milliseconds(5)) {
        precondition(transactions > 0)
        self.transactions = transactions
        self.duration = duration
    }
}
