import NIOCore
import SMTP
import Synchronization

/// A server delegate that records what it accepted and refuses by local part: `reject…` gets
/// 550 5.1.1, `later…` gets 450 4.2.1, and a message containing `FAIL-STORAGE` fails to be stored.
final class RecordingDelegate: SMTPServerDelegate {
    struct Received: Sendable {
        var content: String
        var envelope: SMTPReceivedEnvelope
        var session: SMTPSessionInfo
    }

    struct StorageFailure: Error {}

    private let state = Mutex<(messages: [Received], senders: [String])>(([], []))

    var messages: [Received] { state.withLock { $0.messages } }
    var senders: [String] { state.withLock { $0.senders } }

    func mailFrom(_ reversePath: String, parameters: [String: String], session: SMTPSessionInfo) async throws -> SMTPReply {
        state.withLock { $0.senders.append(reversePath) }
        if reversePath.hasPrefix("blocked") { return SMTPReply(code: 550, status: SMTPEnhancedStatus(5, 7, 1), text: "Sender blocked") }
        return SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 0), text: "Sender OK")
    }

    func recipient(_ forwardPath: String, session: SMTPSessionInfo) async throws -> SMTPReply {
        if forwardPath.hasPrefix("reject") { return SMTPReply(code: 550, status: SMTPEnhancedStatus(5, 1, 1), text: "No such user") }
        if forwardPath.hasPrefix("later") { return SMTPReply(code: 450, "Mailbox busy") }
        return SMTPReply(code: 250, "Recipient OK")
    }

    func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async throws -> SMTPReply {
        let content = String(buffer: data)
        if content.contains("FAIL-STORAGE") { throw StorageFailure() }
        let count = state.withLock { state in
            state.messages.append(Received(content: content, envelope: envelope, session: session))
            return state.messages.count
        }
        return SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 0, 0), text: "Queued as \(count)")
    }
}

/// A delegate that takes every default.
struct DefaultDelegate: SMTPServerDelegate {
    func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async throws -> SMTPReply {
        SMTPReply(code: 250, "OK")
    }
}
