/// The envelope of a received message.
public struct SMTPReceivedEnvelope: Sendable, Equatable {
    /// The reverse-path without angle brackets; `""` for the null sender `<>`.
    public var reversePath: String
    /// MAIL FROM's parameters, keywords upper-cased (`SIZE`, `BODY`, `SMTPUTF8`, …); a keyword
    /// without a value maps to `""`.
    public var mailParameters: [String: String]
    /// The accepted recipients in order.
    public var recipients: [String]

    /// An envelope.
    public init(reversePath: String, mailParameters: [String: String], recipients: [String]) {
        self.reversePath = reversePath
        self.mailParameters = mailParameters
        self.recipients = recipients
    }
}
