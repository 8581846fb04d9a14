import Foundation
import Synchronization
import Switchboard

/// A clock tests move by hand: time stands still until ``advance(by:)``, which wakes every sleeper whose time has
/// come. Starts at the real time, so tokens and signed requests made at the start are current.
final class ManualClock: WallClock {
    private struct State {
        var now: Timestamp
        var sleepers: [(deadline: Timestamp, id: UUID, continuation: CheckedContinuation<Void, any Error>)] = []
        /// Sleepers cancelled before they were registered.
        var cancelled: Set<UUID> = []
    }

    private let state: Mutex<State>

    init(start: Timestamp = Timestamp(Date())) {
        state = Mutex(State(now: start))
    }

    var now: Timestamp { state.withLock { $0.now } }

    /// Moves time forward and resumes the sleepers now due.
    func advance(by duration: Duration) {
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            state.now = state.now.adding(duration)
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }
            state.sleepers.removeAll { $0.deadline <= now }
            return due.map(\.continuation)
        }
        for continuation in due { continuation.resume() }
    }

    /// How many tasks are sleeping on this clock.
    var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    func sleep(for duration: Duration) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Bool, CancellationError> in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    let deadline = state.now.adding(duration)
                    if deadline <= state.now { return .success(true) }
                    state.sleepers.append((deadline, id, continuation))
                    return .success(false)
                }
                switch outcome {
                case .failure(let error): continuation.resume(throwing: error)
                case .success(true): continuation.resume()
                case .success(false): break
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelled.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index).continuation
            }
            cancelled?.resume(throwing: CancellationError())
        }
    }
}
