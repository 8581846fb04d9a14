import Foundation
import Mail

/// One recipient's copy of a send, rendered and DKIM-signed, for a carrier.
public struct EmailEnvelope: Sendable {
    public let resource: ResourceHandle
    public let operationID: String
    public let seq: Int
    /// The envelope sender (Return-Path): a per-message bounce address on the sending domain.
    public let mailFrom: String
    public let recipient: String
    /// The complete message, CRLF lines, DKIM signature first.
    public let message: [UInt8]
    public let internetMessageID: String
    /// Whether the recipient's address needs SMTPUTF8 (a non-ASCII local part).
    public let requiresSMTPUTF8: Bool
    /// Attempts made before this one.
    public let previousAttempts: Int
}

/// What became of one envelope.
public enum EmailDeliveryOutcome: Sendable, Equatable {
    /// The recipient's mail server accepted it (`250`).
    case delivered(server: String, reply: String)
    /// A failure that may pass (`4xx`, a server out of reach): tried again on the outbox's schedule, for up to 48 hours.
    case deferred(server: String?, reason: String)
    /// The recipient's server refused it for good (`5xx`): a hard bounce.
    case bounced(server: String?, reply: String)
    /// It cannot be sent (no route, no mail server for the domain).
    case failed(reason: String)
}

/// A way out to mailboxes: the sandbox, SMTP (direct to MX or through a relay). The outbox drives it with batches of
/// envelopes of one lane (one recipient domain for direct SMTP, so a connection serves the batch).
public protocol EmailCarrier: Sendable {
    var name: String { get }
    /// How many envelopes may travel in one batch.
    var window: Int { get }
    /// Delivers `envelopes`; one outcome each, in order.
    func deliver(_ envelopes: [EmailEnvelope]) async -> [EmailDeliveryOutcome]
    /// The outbox lane of a recipient's messages (the sandbox has one; direct SMTP one per recipient domain; a relay
    /// as many as it takes connections). Lanes are delivered side by side, each batch of a lane over one connection.
    func lane(forRecipient address: MailAddress) -> String
}
