import Foundation
import Synchronization

/// Tells open console pages that a resource's data changed, so they refresh without reloading: every committed
/// change of a resource (``Changes``) and every delivery the outbox records touches it, and the console's live stream
/// (Server-Sent Events) of that resource wakes.
///
/// A touch is a lock and a counter, cheap enough for every commit: nothing else happens unless a page is waiting.
/// Changes made on another node are not seen here; the stream also wakes on its own every few seconds to look.
public final class ConsoleActivity: Sendable {
    private struct State {
        var versions: [UUID: UInt64] = [:]
        var waiters: [UUID: [Int: CheckedContinuation<Void, Never>]] = [:]
        var nextWaiter = 0
        var closed = false
    }

    private let state = Mutex(State())

    public init() {}

    /// Notes a change of `resource`'s data and wakes its waiting pages.
    public func touch(_ resource: UUID) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.versions[resource, default: 0] &+= 1
            guard let waiting = state.waiters.removeValue(forKey: resource) else { return [] }
            return Array(waiting.values)
        }
        for continuation in woken { continuation.resume() }
    }

    /// How many changes of `resource` this node has seen.
    public func version(of resource: UUID) -> UInt64 {
        state.withLock { $0.versions[resource] ?? 0 }
    }

    /// Waits until `resource` changes after `version`, the clock's `timeout` passes, or the activity closes; returns
    /// the version then.
    public func wait(for resource: UUID, after version: UInt64, timeout: Duration, clock: any WallClock) async -> UInt64 {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if state.closed || (state.versions[resource] ?? 0) != version || Task.isCancelled { return true }
                            state.waiters[resource, default: [:]][id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.resume(resource, id)
                }
            }
            group.addTask {
                try? await clock.sleep(for: timeout)
                self.resume(resource, id)
            }
            await group.next()
            group.cancelAll()
        }
        return self.version(of: resource)
    }

    /// Whether the activity closed (the server is stopping): streams end.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Ends every wait, now and later (the server is stopping).
    public func close() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.closed = true
            let all = state.waiters.values.flatMap(\.values)
            state.waiters = [:]
            return all
        }
        for continuation in woken { continuation.resume() }
    }

    private func resume(_ resource: UUID, _ id: Int) {
        let continuation = state.withLock { state in state.waiters[resource]?.removeValue(forKey: id) }
        continuation?.resume()
    }
}
