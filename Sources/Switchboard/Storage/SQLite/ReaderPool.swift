import Synchronization

/// The reader connections, lent to one `read` at a time, first come first served.
///
/// In WAL mode readers see the last commit and never wait for the writer, so a few of them serve reads while the
/// writer commits. They are opened `query_only`: a write through `read` would have to take the write lock from
/// outside the writer's queue, blocking its thread for up to the busy timeout, so it fails at once instead.
final class ReaderPool: Sendable {
    private struct State {
        var idle: [SQLiteHandle]
        var waiters: [(id: UInt64, continuation: CheckedContinuation<SQLiteHandle, any Error>)] = []
        var lent = 0
        var closed = false
        var nextID: UInt64 = 0
        /// ``close()`` waiting for the lent connections to come back.
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    let connections: [SQLiteHandle]
    private let state: Mutex<State>

    init(_ connections: [SQLiteHandle]) {
        precondition(!connections.isEmpty)
        self.connections = connections
        state = Mutex(State(idle: connections))
    }

    /// Lends a connection to `body` and takes it back afterwards, whatever `body` does.
    func withConnection<T: Sendable>(_ body: (SQLiteHandle) async throws -> T) async throws -> T {
        let connection = try await acquire()
        defer { release(connection) }
        return try await body(connection)
    }

    /// Stops lending, fails the waiting callers, and returns every connection once all are back, for closing.
    func close() async -> [SQLiteHandle] {
        let waiters = state.withLock { state in
            state.closed = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(throwing: DatabaseClosed()) }
        await withCheckedContinuation { continuation in
            let busy = state.withLock { state in
                if state.lent > 0 { state.drained.append(continuation) }
                return state.lent > 0
            }
            if !busy { continuation.resume() }
        }
        return connections
    }

    private func acquire() async throws -> SQLiteHandle {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate = state.withLock { state -> Result<SQLiteHandle, any Error>? in
                    if state.closed { return .failure(DatabaseClosed()) }
                    if let connection = state.idle.popLast() {
                        state.lent += 1
                        return .success(connection)
                    }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters.append((id, continuation))
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.waiters.firstIndex { $0.id == id }.map { state.waiters.remove(at: $0) }
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    private func release(_ connection: SQLiteHandle) {
        let (waiter, drained) = state.withLock { state -> (CheckedContinuation<SQLiteHandle, any Error>?, [CheckedContinuation<Void, Never>]) in
            if !state.waiters.isEmpty { return (state.waiters.removeFirst().continuation, []) }
            state.lent -= 1
            state.idle.append(connection)
            guard state.lent == 0 else { return (nil, []) }
            defer { state.drained = [] }
            return (nil, state.drained)
        }
        waiter?.resume(returning: connection)
        for continuation in drained { continuation.resume() }
    }
}
