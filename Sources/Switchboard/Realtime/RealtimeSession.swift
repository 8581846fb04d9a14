import Foundation
import Synchronization

/// One WebSocket connection of a user: a bounded queue of outgoing events. A client too slow to keep up is
/// disconnected (and resumes from its last cursor) rather than slowing everyone down.
final class RealtimeSession: Sendable {
    let id = UUID()
    let resource: ResourceHandle
    let user: String
    let outgoing: AsyncStream<LoggedEvent>
    private let continuation: AsyncStream<LoggedEvent>.Continuation

    static let queueLimit = 10_000

    init(resource: ResourceHandle, user: String) {
        self.resource = resource
        self.user = user
        (outgoing, continuation) = AsyncStream.makeStream(of: LoggedEvent.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
    }

    func deliver(_ event: LoggedEvent) {
        if case .dropped = continuation.yield(event) {
            continuation.finish()
        }
    }

    func finish() {
        continuation.finish()
    }

    /// Set when the user's tokens were invalidated; the connection closes with 4401.
    let revoked = Mutex(false)

    func revoke() {
        revoked.withLock { $0 = true }
        continuation.finish()
    }
}
