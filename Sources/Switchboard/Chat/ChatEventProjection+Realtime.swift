import Foundation

extension ChatEventProjection {
    /// The notification a real-time session receives for a chat event: the event names and fields of the ACS chat
    /// SDKs' real-time notifications (`chatMessageReceived`, `typingIndicatorReceived`, …), with identifiers in the
    /// wire's `CommunicationIdentifierModel` shape and `recipient` set to the session's user.
    func realtimeFrame(of data: ChatEventData, header: EventHeader) -> RealtimeFrame? {
        guard let type = ChatEventType(rawValue: header.type) else { return nil }
        let version = String(data.version ?? 0)
        switch type {
        case .messageReceived, .messageEdited, .messageDeleted:
            let name =
                switch type {
                case .messageReceived: "chatMessageReceived"
                case .messageEdited: "chatMessageEdited"
                default: "chatMessageDeleted"
                }
            return RealtimeFrame(
                type: name,
                data: ChatRealtimeMessage(
                    threadId: data.threadId, id: data.messageId, type: data.messageType, version: version,
                    sender: data.actor.map(CommunicationIdentifierModel.init(rawID:)), senderDisplayName: data.actorDisplayName ?? "",
                    createdOn: data.composeTime.map(APIDate.format),
                    message: type == .messageDeleted ? nil : data.messageBody ?? "",
                    metadata: type == .messageDeleted ? nil : data.metadata ?? [:],
                    editedOn: type == .messageEdited ? APIDate.format(data.time) : nil,
                    deletedOn: type == .messageDeleted ? APIDate.format(data.time) : nil))
        case .threadCreated:
            return RealtimeFrame(
                type: "chatThreadCreated",
                data: ChatRealtimeThreadChange(
                    threadId: data.threadId, version: version, timeKey: "createdOn", time: data.createTime.map(APIDate.format),
                    actorKey: "createdBy", actor: ChatRealtimeActor(data), properties: ChatRealtimeThreadProperties(data),
                    participantsKey: "participants", participants: (data.participants ?? []).map(ChatRealtimeParticipant.init)))
        case .threadPropertiesUpdated:
            return RealtimeFrame(
                type: "chatThreadPropertiesUpdated",
                data: ChatRealtimeThreadChange(
                    threadId: data.threadId, version: version, timeKey: "updatedOn", time: APIDate.format(data.time), actorKey: "updatedBy",
                    actor: ChatRealtimeActor(data), properties: ChatRealtimeThreadProperties(data)))
        case .threadDeleted:
            return RealtimeFrame(
                type: "chatThreadDeleted",
                data: ChatRealtimeThreadChange(
                    threadId: data.threadId, version: version, timeKey: "deletedOn", time: APIDate.format(data.time), actorKey: "deletedBy",
                    actor: ChatRealtimeActor(data)))
        case .participantsAdded, .participantsRemoved:
            let added = type == .participantsAdded
            return RealtimeFrame(
                type: added ? "participantsAdded" : "participantsRemoved",
                data: ChatRealtimeThreadChange(
                    threadId: data.threadId, version: version, timeKey: added ? "addedOn" : "removedOn", time: APIDate.format(data.time),
                    actorKey: added ? "addedBy" : "removedBy", actor: ChatRealtimeActor(data),
                    participantsKey: added ? "participantsAdded" : "participantsRemoved",
                    participants: (data.participants ?? []).map(ChatRealtimeParticipant.init)))
        case .typingIndicatorReceived:
            return RealtimeFrame(
                type: "typingIndicatorReceived",
                data: ChatRealtimeSignal(
                    threadId: data.threadId, version: version, sender: data.actor.map(CommunicationIdentifierModel.init(rawID:)),
                    senderDisplayName: data.actorDisplayName ?? "", timeKey: "receivedOn", time: APIDate.format(data.time)))
        case .readReceiptReceived:
            return RealtimeFrame(
                type: "readReceiptReceived",
                data: ChatRealtimeSignal(
                    threadId: data.threadId, sender: data.actor.map(CommunicationIdentifierModel.init(rawID:)),
                    senderDisplayName: data.actorDisplayName ?? "", chatMessageId: .some(data.chatMessageId), timeKey: "readOn",
                    time: APIDate.format(data.time)))
        }
    }
}

/// The keys of a real-time frame's data; some depend on the event (`createdOn`, `updatedOn`, …).
struct FrameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A message sent, edited or deleted.
struct ChatRealtimeMessage: RealtimeFrameData {
    let threadId: String
    let id: String?
    let type: String?
    let version: String
    let sender: CommunicationIdentifierModel?
    let senderDisplayName: String
    var recipient: CommunicationIdentifierModel?
    let createdOn: String?
    /// Absent from deletions.
    let message: String?
    let metadata: [String: String]?
    /// Only on edits and deletions.
    let editedOn: String?
    let deletedOn: String?

    func addressed(to recipient: String) -> ChatRealtimeMessage {
        var copy = self
        copy.recipient = CommunicationIdentifierModel(rawID: recipient)
        return copy
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FrameKey.self)
        try container.encode(threadId, forKey: FrameKey("threadId"))
        try container.encode(id, forKey: FrameKey("id"))
        try container.encode(type, forKey: FrameKey("type"))
        try container.encode(version, forKey: FrameKey("version"))
        try container.encode(sender, forKey: FrameKey("sender"))
        try container.encode(senderDisplayName, forKey: FrameKey("senderDisplayName"))
        try container.encode(recipient, forKey: FrameKey("recipient"))
        try container.encode(createdOn, forKey: FrameKey("createdOn"))
        try container.encodeIfPresent(message, forKey: FrameKey("message"))
        try container.encodeIfPresent(metadata, forKey: FrameKey("metadata"))
        try container.encodeIfPresent(editedOn, forKey: FrameKey("editedOn"))
        try container.encodeIfPresent(deletedOn, forKey: FrameKey("deletedOn"))
    }
}

/// A thread created, updated or deleted, or participants added or removed: who did it, when, and what changed.
struct ChatRealtimeThreadChange: RealtimeFrameData {
    let threadId: String
    let version: String
    let timeKey: String
    let time: String?
    let actorKey: String
    let actor: ChatRealtimeActor?
    var properties: ChatRealtimeThreadProperties? = nil
    var participantsKey: String? = nil
    var participants: [ChatRealtimeParticipant] = []

    func addressed(to recipient: String) -> ChatRealtimeThreadChange { self }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FrameKey.self)
        try container.encode(threadId, forKey: FrameKey("threadId"))
        try container.encode(version, forKey: FrameKey("version"))
        try container.encode(time, forKey: FrameKey(timeKey))
        try container.encode(actor, forKey: FrameKey(actorKey))
        try container.encodeIfPresent(properties, forKey: FrameKey("properties"))
        if let participantsKey { try container.encode(participants, forKey: FrameKey(participantsKey)) }
    }
}

/// Someone typing, or a read receipt.
struct ChatRealtimeSignal: RealtimeFrameData {
    let threadId: String
    var version: String? = nil
    let sender: CommunicationIdentifierModel?
    let senderDisplayName: String
    var recipient: CommunicationIdentifierModel? = nil
    /// Only on read receipts (`.some(nil)` is an explicit null).
    var chatMessageId: String?? = nil
    let timeKey: String
    let time: String

    func addressed(to recipient: String) -> ChatRealtimeSignal {
        var copy = self
        copy.recipient = CommunicationIdentifierModel(rawID: recipient)
        return copy
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FrameKey.self)
        try container.encode(threadId, forKey: FrameKey("threadId"))
        try container.encodeIfPresent(version, forKey: FrameKey("version"))
        try container.encode(sender, forKey: FrameKey("sender"))
        try container.encode(senderDisplayName, forKey: FrameKey("senderDisplayName"))
        try container.encode(recipient, forKey: FrameKey("recipient"))
        if let chatMessageId { try container.encode(chatMessageId, forKey: FrameKey("chatMessageId")) }
        try container.encode(time, forKey: FrameKey(timeKey))
    }
}

/// Who acted, as the SDKs' real-time events carry it: a participant (`id` and `displayName`).
struct ChatRealtimeActor: Encodable, Sendable {
    let id: CommunicationIdentifierModel
    let displayName: String?

    init?(_ data: ChatEventData) {
        guard let actor = data.actor else { return nil }
        id = CommunicationIdentifierModel(rawID: actor)
        displayName = data.actorDisplayName
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FrameKey.self)
        try container.encode(id, forKey: FrameKey("id"))
        try container.encode(displayName, forKey: FrameKey("displayName"))
    }
}

/// A participant in a real-time event.
struct ChatRealtimeParticipant: Encodable, Sendable {
    let id: CommunicationIdentifierModel
    let displayName: String?
    let shareHistoryTime: String?
    let metadata: [String: String]?

    init(_ participant: ChatEventData.Participant) {
        id = CommunicationIdentifierModel(rawID: participant.rawId)
        displayName = participant.displayName
        shareHistoryTime = participant.shareHistoryTime.map(APIDate.format)
        metadata = participant.metadata
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FrameKey.self)
        try container.encode(id, forKey: FrameKey("id"))
        try container.encode(displayName, forKey: FrameKey("displayName"))
        try container.encode(shareHistoryTime, forKey: FrameKey("shareHistoryTime"))
        try container.encode(metadata, forKey: FrameKey("metadata"))
    }
}

/// A thread's properties in a real-time event: topic, metadata and retention policy.
struct ChatRealtimeThreadProperties: Encodable, Sendable {
    struct RetentionPolicy: Encodable, Sendable {
        let kind: String
        let deleteThreadAfterDays: Int?
    }

    let topic: String
    let metadata: [String: String]
    let retentionPolicy: RetentionPolicy

    init(_ data: ChatEventData) {
        topic = data.topic ?? ""
        metadata = data.threadMetadata ?? [:]
        retentionPolicy =
            data.retentionDays.map { RetentionPolicy(kind: "threadCreationDate", deleteThreadAfterDays: $0) }
            ?? RetentionPolicy(kind: "none", deleteThreadAfterDays: nil)
    }
}
