/// Wakes the delivery workers of this node: signalled after a change that queued rows committed (it observes
/// ``Changes``), waited on between rounds.
public actor WorkSignal: CommitObserver {
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var pending = false
    private let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    /// Wakes the workers only when there is something for them: most changes queue no delivery.
    public func committed(_ work: CommittedWork, resource: ResourceHandle) {
        if work.contains(.outbox) { signal() }
    }

    public func signal() {
        if waiters.isEmpty {
            pending = true
        } else {
            for waiter in waiters { waiter.resume() }
            waiters = []
        }
    }

    /// Returns when signalled (or at once if a signal came since the last wait), or after `timeout` of the clock.
    public func wait(timeout: Duration) async {
        if pending {
            pending = false
            return
        }
        let clock = self.clock
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.suspend() }
            group.addTask { try? await clock.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
            self.signal()  // release the suspended waiter if the timeout won
            self.pending = false
        }
    }

    private func suspend() async {
        await withCheckedContinuation { waiters.append($0) }
    }
}
