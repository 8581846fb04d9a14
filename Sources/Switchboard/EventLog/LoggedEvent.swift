import Foundation

/// The data of an event as the capability that raised it wrote it. Encoded once when appended and stored sealed;
/// decoded once per event by whoever renders it (``EventCatalog/decode(_:)``).
public protocol EventPayload: Codable, Sendable {}

/// An event to append to a resource's event log.
public struct NewEvent: Sendable {
    /// The logged type, e.g. `ChatMessageReceived`; a capability's ``EventProjection`` knows how to render it.
    public var type: String
    public var payload: any EventPayload
    /// The users the event is for (raw ids); real-time sessions of other users never see it.
    public var recipients: [String]
    /// What the event belongs to: deleting it removes the event and what was queued for it.
    public var correlation: Correlation?
    /// The person whose action or content the event carries; erasing them removes it.
    public var subject: SubjectIdentifier?

    public init(
        type: String, payload: any EventPayload, recipients: [String], correlation: Correlation? = nil,
        subject: SubjectIdentifier? = nil
    ) {
        self.type = type
        self.payload = payload
        self.recipients = recipients
        self.correlation = correlation
        self.subject = subject
    }
}

/// What the log knows of an event besides its data.
public struct EventHeader: Sendable {
    /// Position in the resource's log; increases with every event, in commit order.
    public let id: Int64
    public let type: String
    /// The users the event is for (raw ids).
    public let recipients: [String]
    public let createdAt: Timestamp
}

/// An event read back from the log: its header and its data as stored (decrypted JSON, not yet decoded).
public struct LoggedEvent: Sendable {
    public let header: EventHeader
    public let data: Data
    /// What the event belongs to.
    public var correlation: Correlation? = nil
    /// The blind index of the person whose action or content it carries.
    public var subjectIndex: Data? = nil

    public var id: Int64 { header.id }
    public var type: String { header.type }
    public var recipients: [String] { header.recipients }
    public var createdAt: Timestamp { header.createdAt }
}

/// An event just numbered, as the log's consumers see it inside the transaction that gave it its id: the appending
/// transaction on SQLite (its data still typed, so nobody decodes what was just encoded), the sequencing pass on
/// PostgreSQL (decoded from the log; see ``EventSequencer``).
public struct AppendedEvent: Sendable {
    public let header: EventHeader
    /// `nil` when no capability of this node knows the type.
    public let payload: (any EventPayload)?
    public let correlation: Correlation?
    /// The blind index of the person whose action or content the event carries.
    public let subjectIndex: Data?
    let projection: (any ErasedEventProjection)?

    /// The Event Grid events it becomes (none when no capability renders its type).
    public var eventGridVariants: [EventGridVariant] {
        guard let payload else { return [] }
        return projection?.eventGridVariants(of: payload, header: header) ?? []
    }
}
