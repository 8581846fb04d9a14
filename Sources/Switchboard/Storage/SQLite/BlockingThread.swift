import NIOPosix

/// A thread of the engine's own for the SQLite calls that block: opening, `BEGIN IMMEDIATE` (which waits out another
/// process's write lock for up to the busy timeout), `COMMIT` (an fsync) and checkpoints. On Swift's concurrency pool
/// they would hold one of its few threads (two on a two-core machine) and stall unrelated work.
///
/// Work is submitted with `NIOThreadPool.submit`, not `runIfActive`: the latter drops work whose task is cancelled, and
/// a `COMMIT` or `ROLLBACK` must run whatever happens to the task that asked for it.
final class BlockingThread: Sendable {
    private let pool: NIOThreadPool

    init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    /// Runs `work` on the thread and calls `completion` there with its result: for work that nothing waits on.
    func submit<T>(_ work: @escaping @Sendable () throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void) {
        pool.submit { state in
            guard case .active = state else { return completion(.failure(Stopped())) }
            completion(Result(catching: work))
        }
    }

    /// Runs `work` on the thread and returns its result. Not cancellable: see the type's documentation.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(work) { continuation.resume(with: $0) }
        }
    }

    /// Stops the thread once the work already submitted is done.
    func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    /// The thread was stopped before the work could run.
    struct Stopped: Error {}
}
