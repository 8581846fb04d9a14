import Foundation
import Synchronization

/// One WebSocket connection of a user: a bounded queue of outgoing events. A client too slow to keep up is
/// disconnected (and resumes from its last cursor) rather than slowing everyone down.
final class RealtimeSession: Sendable {
    let id = UUID()
    let resource: ResourceHandle
    let user: String
    let outgoing: AsyncStream<RealtimeDelivery>
    private let continuation: AsyncStream<RealtimeDelivery>.Continuation

    static let queueLimit = 10_000

    init(resource: ResourceHandle, user: String) {
        self.resource = resource
        self.user = user
        (outgoing, continuation) = AsyncStream.makeStream(of: RealtimeDelivery.self, bufferingPolicy: .bufferingOldest(Self.queueLimit))
    }

    func deliver(_ delivery: RealtimeDelivery) {
        if case .dropped = continuation.yield(delivery) {
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

/// An event's frame, on its way to a session, with its position in the log.
struct RealtimeDelivery: Sendable {
    let cursor: Int64
    let frame: RealtimeFrame

    /// The message as `user` receives it: `{"cursor":N,"type":"…","data":{…}}`.
    func message(for user: String) throws -> String {
        func encode<FrameData: RealtimeFrameData>(_ data: FrameData) throws -> Data {
            try JSONBody.encoder.encode(Envelope(cursor: cursor, type: frame.type, data: data.addressed(to: user)))
        }
        return String(decoding: try encode(frame.data), as: UTF8.self)
    }

    struct Envelope<FrameData: Encodable>: Encodable {
        let cursor: Int64
        let type: String
        let data: FrameData
    }
}
