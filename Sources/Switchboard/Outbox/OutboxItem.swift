import Foundation

/// A row to queue: who delivers it (`kind`) to which lane (`target`), what it concerns and belongs to, and what
/// it carries.
public struct NewOutboxItem: Sendable {
    /// The handler that delivers it (``OutboxHandler/kind``).
    public var kind: String
    /// The lane within the kind: a webhook subscription, a carrier bind.
    public var target: String
    /// The id the receiver dedupes on; the same for every attempt (an Event Grid event id, a message id).
    public var deliveryID: String
    /// The person the row concerns (a recipient, the author of the content): erasing them withdraws it.
    public var subject: SubjectIdentifier?
    /// What the row belongs to (a thread and message, a send operation): deleting it withdraws the row.
    public var correlation: Correlation?
    /// What the handler needs to deliver it; sealed at rest and erased once the row completes.
    public var payload: Data?
    public var maxAttempts: Int
    public var expiresAt: Timestamp
    /// When it is first due, if later than now (a carrier's receipt that comes after a delay, a timeout).
    public var notBefore: Timestamp?
    /// The subject's blind index as stored elsewhere (a logged event's), when the subject itself is not known.
    var subjectIndex: Data?

    public init(
        kind: String, target: String, deliveryID: String, subject: SubjectIdentifier? = nil, correlation: Correlation? = nil,
        payload: Data? = nil, maxAttempts: Int, expiresAt: Timestamp, notBefore: Timestamp? = nil
    ) {
        self.kind = kind
        self.target = target
        self.deliveryID = deliveryID
        self.subject = subject
        self.correlation = correlation
        self.payload = payload
        self.maxAttempts = maxAttempts
        self.expiresAt = expiresAt
        self.notBefore = notBefore
    }
}

/// A claimed row. Its payload and snapshot are opened with the resource's key by the worker before a handler sees
/// it (``opened(with:)``).
public struct OutboxItem: Sendable {
    public let id: Int64
    public let resourceID: String
    public let kind: String
    public let target: String
    public let deliveryID: String
    /// Attempts made so far, with their outcome recorded.
    public let attempts: Int
    /// Deliveries begun so far, counting one a crash interrupted before its outcome was recorded.
    public let started: Int
    public let maxAttempts: Int
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    /// What the row delivers, as queued.
    public private(set) var payload: Data?
    /// What a dead letter would have sent; set on rows redelivered from the dead-letter store, which send it as
    /// it was.
    public private(set) var snapshot: Data?
    let sealedPayload: Data?
    let sealedSnapshot: Data?
    /// The blind index of the person the row concerns, if any (its delivery's log entry is found by it).
    let subjectIndex: Data?

    public var lane: OutboxLane { OutboxLane(resourceID: resourceID, kind: kind, target: target) }

    /// How many times the receiver may have seen it before (Event Grid's `aeg-delivery-count`): recorded attempts,
    /// or begun deliveries when a crash cut one short after it was sent.
    public var previousAttempts: Int { max(attempts, started) }

    /// The row with its payload and snapshot opened; throws when they cannot be opened with the resource's key.
    func opened(with crypto: ResourceCrypto) throws -> OutboxItem {
        var item = self
        item.payload = try sealedPayload.map { try crypto.open(data: $0, field: Outbox.payloadField) }
        item.snapshot = try sealedSnapshot.map { try crypto.open(data: $0, field: Outbox.snapshotField) }
        return item
    }
}

/// Where a row goes: one resource's target of one kind (a webhook subscription). A node delivers to a lane one
/// batch after another, and to different lanes at once.
public struct OutboxLane: Hashable, Sendable {
    public let resourceID: String
    public let kind: String
    public let target: String

    var key: String { "\(resourceID)\n\(kind)\n\(target)" }
}

/// The states of an outbox row.
public enum OutboxState: String, Sendable {
    case pending
    case delivered
    /// Given up: rejected by the receiver, out of attempts or past its time to live. Kept (with its snapshot, if
    /// its handler keeps dead letters) for listing and redelivery.
    case dead
    /// Its content was deleted before it could be delivered (a deleted chat message).
    case dropped
}
