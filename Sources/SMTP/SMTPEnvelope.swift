/// The envelope of one mail transaction.
public struct SMTPEnvelope: Sendable, Equatable {
    /// The reverse-path without angle brackets; `""` is the null sender `<>` used for
    /// delivery status notifications.
    public var reversePath: String
    /// The forward-paths, one RCPT TO each, in order.
    public var recipients: [String]
    /// Whether the message needs 8BITMIME.
    public var bodyType: SMTPBodyType
    /// Whether the transaction needs SMTPUTF8 (RFC 6531) even if the addresses are ASCII, for
    /// example because the header has UTF-8. Non-ASCII addresses need it regardless.
    public var requiresSMTPUTF8: Bool
    /// The DSN envelope identifier (RFC 3461 ENVID), sent only when the server offers DSN.
    public var envelopeID: String?

    /// An envelope.
    public init(
        reversePath: String, recipients: [String], bodyType: SMTPBodyType = .sevenBit, requiresSMTPUTF8: Bool = false,
        envelopeID: String? = nil
    ) {
        self.reversePath = reversePath
        self.recipients = recipients
        self.bodyType = bodyType
        self.requiresSMTPUTF8 = requiresSMTPUTF8
        self.envelopeID = envelopeID
    }
}
