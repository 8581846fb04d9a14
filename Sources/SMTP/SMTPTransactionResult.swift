/// What happened to one mail transaction.
///
/// A recipient was delivered to when its `reply` is positive and `data` is positive. When
/// `data` is a failure, every accepted recipient failed with it.
public struct SMTPTransactionResult: Sendable, Equatable {
    /// The reply to MAIL FROM.
    public var mailFrom: SMTPReply
    /// One result per envelope recipient, in envelope order.
    public var recipients: [SMTPRecipientResult]
    /// The server's verdict on the message: the reply after the final `.`, or the refusal of
    /// DATA itself. `nil` when no message was sent because MAIL FROM or every recipient was
    /// refused.
    public var data: SMTPReply?

    /// A result.
    public init(mailFrom: SMTPReply, recipients: [SMTPRecipientResult], data: SMTPReply?) {
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.data = data
    }

    /// Recipients whose RCPT TO was accepted.
    public var acceptedRecipients: [SMTPRecipientResult] { recipients.filter { $0.reply.isPositiveCompletion } }
    /// Recipients whose RCPT TO (or MAIL FROM) was refused.
    public var rejectedRecipients: [SMTPRecipientResult] { recipients.filter { !$0.reply.isPositiveCompletion } }
    /// Whether the message was accepted for every accepted recipient.
    public var messageAccepted: Bool { data?.isPositiveCompletion ?? false }
}
