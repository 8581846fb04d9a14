import Foundation
import Synchronization

/// Where Switchboard reads the time and waits: timestamps, expiries, retention cut-offs, retry schedules and the
/// pauses of its workers all go through one clock, injected through the ``Runtime``. Production uses
/// ``SystemClock``; tests travel in time with a manual clock instead of sleeping.
public protocol WallClock: Sendable {
    /// The current time.
    var now: Timestamp { get }

    /// Suspends for `duration` of this clock's time. Throws `CancellationError` when the task is cancelled.
    func sleep(for duration: Duration) async throws
}

/// The system's wall clock and `Task.sleep`.
public struct SystemClock: WallClock {
    public init() {}

    public var now: Timestamp { Timestamp(Date()) }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration)
    }
}

extension WallClock {
    /// Runs work a service does on its way out (handing leases back, a last flush) for at most `limit` of this
    /// clock's time: a store that cannot be reached (its PostgreSQL gone) must not hold a graceful shutdown forever.
    /// Work still running then is left behind, not awaited (waiting for a connection is not always cancellable);
    /// what it would have done is what a crash loses anyway (leases run out, buffered log entries are dropped).
    func finishing(within limit: Duration = .seconds(5), _ work: @escaping @Sendable () async -> Void) async {
        let first = FirstToFinish()
        let clock = self
        await withCheckedContinuation { continuation in
            first.waiting.withLock { $0 = continuation }
            let timer = Task {
                try? await clock.sleep(for: limit)
                first.resume()
            }
            Task {
                await work()
                timer.cancel()
                first.resume()
            }
        }
    }
}

/// The continuation whichever of the work and its deadline ends first resumes.
private final class FirstToFinish: Sendable {
    let waiting = Mutex<CheckedContinuation<Void, Never>?>(nil)

    func resume() {
        waiting.withLock { $0.take() }?.resume()
    }
}
