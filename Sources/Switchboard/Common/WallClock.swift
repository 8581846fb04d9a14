import Foundation

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
