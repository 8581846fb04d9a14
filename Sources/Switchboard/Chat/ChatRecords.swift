import Foundation

/// A thread as stored (decrypted).
struct ChatThreadRecord: Sendable {
    let id: String
    var topic: String
    var metadata: [String: String]?
    let createdBy: String
    let createdAt: Timestamp
    var deletedAt: Timestamp?
    var retentionDays: Int?
    var lastSequence: Int64
    var lastMessageAt: Timestamp
}

/// One membership period of a participant.
struct ChatMembershipRecord: Sendable {
    let participant: String
    let period: Int
    var displayName: String?
    var metadata: [String: String]?
    let joinedSequence: Int64
    let shareHistoryTime: Timestamp?
    let joinedAt: Timestamp
    var removedAt: Timestamp?
    var removedSequence: Int64?

    var isCurrent: Bool { removedAt == nil }

    /// Whether this period shows the message with `sequence` created at `createdAt`.
    func shows(sequence: Int64, createdAt: Timestamp) -> Bool {
        let from = sequence >= joinedSequence || (shareHistoryTime.map { createdAt >= $0 } ?? false)
        let until = removedSequence.map { sequence <= $0 } ?? true
        return from && until
    }
}

/// A message as stored (decrypted). Deleted messages keep only their id, sequence, type and times.
struct ChatMessageRecord: Sendable {
    let id: String
    let sequence: Int64
    let type: String
    var sender: String?
    var senderDisplayName: String?
    var content: ChatWire.MessageContent?
    var metadata: [String: String]?
    let createdAt: Timestamp
    var editedAt: Timestamp?
    var deletedAt: Timestamp?
    var version: Int64

    var wire: ChatWire.Message {
        ChatWire.Message(
            id: id, type: type, sequenceId: String(sequence), version: String(version),
            content: deletedAt == nil ? content : nil, senderDisplayName: senderDisplayName, createdOn: createdAt.date,
            senderCommunicationIdentifier: sender.map(CommunicationIdentifierModel.init(rawID:)),
            deletedOn: deletedAt?.date, editedOn: editedAt?.date, metadata: metadata)
    }
}

/// A message to store: its type, sender and content.
struct NewChatMessage: Sendable {
    var type: String
    var sender: String?
    var senderDisplayName: String?
    var content: ChatWire.MessageContent
    var metadata: [String: String]?
}
