import Synchronization
import Testing

@testable import Switchboard

/// A service's last work on its way out (handing leases back, a final flush) cannot hold a graceful shutdown: it gets
/// a deadline on the injected clock, after which the shutdown goes on without it (a server whose PostgreSQL went away
/// used to ignore SIGTERM, waiting for a connection forever).
@Suite struct ShutdownDeadlineTests {
    @Test func workThatNeverEndsIsLeftBehindAtTheDeadline() async throws {
        let clock = ManualClock()
        // Work waiting for a connection that never comes, and that ignores cancellation.
        let (never, release) = AsyncStream.makeStream(of: Void.self)
        let finished = Mutex(false)
        let shutdown = Task {
            await clock.finishing(within: .seconds(5)) {
                for await _ in never {}
            }
            finished.withLock { $0 = true }
        }
        while clock.sleeperCount == 0 { await Task.yield() }
        clock.advance(by: .seconds(4))
        for _ in 0..<100 { await Task.yield() }
        #expect(finished.withLock { $0 } == false, "before the deadline it waits for the work")
        clock.advance(by: .seconds(1))
        await shutdown.value
        #expect(finished.withLock { $0 })
        release.finish()
    }

    @Test func workThatEndsReturnsAtOnceAndStopsItsTimer() async throws {
        let clock = ManualClock()
        let ran = Mutex(false)
        await clock.finishing(within: .seconds(5)) { ran.withLock { $0 = true } }
        #expect(ran.withLock { $0 })
        // The deadline's sleeper is cancelled, not left waiting on the clock.
        for _ in 0..<1000 where clock.sleeperCount > 0 { await Task.yield() }
        #expect(clock.sleeperCount == 0)
    }
}
