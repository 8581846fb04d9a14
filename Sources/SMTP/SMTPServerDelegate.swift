import NIOCore

/// Decides what an `SMTPServer` accepts. Each answer is sent to the client as it is (a reply
/// without an enhanced status code gets `x.0.0`); a positive (2xx) answer accepts. An error thrown
/// is answered `451 4.3.0` (try again later) and the connection goes on.
public protocol SMTPServerDelegate: Sendable {
    /// MAIL FROM. `reversePath` is `""` for `<>`. The default accepts every sender.
    func mailFrom(_ reversePath: String, parameters: [String: String], session: SMTPSessionInfo) async throws -> SMTPReply
    /// RCPT TO, once per recipient. The default accepts every recipient.
    func recipient(_ forwardPath: String, session: SMTPSessionInfo) async throws -> SMTPReply
    /// A complete message: `data` is un-dot-stuffed with its CRLF line endings. Return 250 once
    /// the message is safely stored.
    func message(_ data: ByteBuffer, envelope: SMTPReceivedEnvelope, session: SMTPSessionInfo) async throws -> SMTPReply
}

extension SMTPServerDelegate {
    /// Accepts every sender with `250 2.1.0`.
    public func mailFrom(_ reversePath: String, parameters: [String: String], session: SMTPSessionInfo) async -> SMTPReply {
        SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 0), text: "Sender OK")
    }

    /// Accepts every recipient with `250 2.1.5`.
    public func recipient(_ forwardPath: String, session: SMTPSessionInfo) async -> SMTPReply {
        SMTPReply(code: 250, status: SMTPEnhancedStatus(2, 1, 5), text: "Recipient OK")
    }
}
