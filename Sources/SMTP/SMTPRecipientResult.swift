/// The server's answer for one recipient.
public struct SMTPRecipientResult: Sendable, Equatable {
    /// The recipient as given in the envelope.
    public var address: String
    /// The reply to its RCPT TO — or, when MAIL FROM was refused, that refusal, so the caller
    /// can tell a transient (4xx) from a permanent (5xx) failure per recipient.
    public var reply: SMTPReply

    /// A recipient's result.
    public init(address: String, reply: SMTPReply) {
        self.address = address
        self.reply = reply
    }
}
