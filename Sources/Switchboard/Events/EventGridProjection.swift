import Foundation

/// Turns logged events into the Event Grid events ACS publishes for them: the in-thread event and the per-user
/// variants (one per recipient, or per recipient and participant), each with ACS's subject and exactly the
/// schema's data fields (`Generated/CommunicationEventCatalog.swift`).
///
/// The fan-out stores only which variant to send (`type|recipient|participant`); the data is rendered from the
/// event log when delivered, so content deleted in the meantime is never sent.
public enum EventGridProjection {
    public struct Variant: Sendable, Hashable {
        public let type: CommunicationEventType
        public let subject: String
        public let recipient: String?
        public let participant: String?

        var key: String { "\(type.rawValue)|\(recipient ?? "")|\(participant ?? "")" }

        init(_ type: CommunicationEventType, _ subject: String, recipient: String? = nil, participant: String? = nil) {
            self.type = type
            self.subject = subject
            self.recipient = recipient
            self.participant = participant
        }

        init?(key: String, subjectFor event: LoggedEvent) {
            let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 3, let type = CommunicationEventType(rawValue: parts[0]) else { return nil }
            let recipient = parts[1].isEmpty ? nil : parts[1]
            let participant = parts[2].isEmpty ? nil : parts[2]
            guard let match = EventGridProjection.variants(of: event).first(where: { $0.type == type && $0.recipient == recipient && $0.participant == participant })
            else { return nil }
            self = match
        }
    }

    /// The Event Grid events a logged event becomes.
    public static func variants(of event: LoggedEvent) -> [Variant] {
        guard let type = ChatEventType(rawValue: event.type),
            let data = try? JSONBody.decoder.decode(ChatEventData.self, from: event.data)
        else { return [] }
        let thread = "thread/\(data.threadId)"
        let actor = data.actor ?? "system"
        let others = event.recipients.filter { $0 != data.actor }
        switch type {
        case .messageReceived, .messageEdited, .messageDeleted:
            let (inThread, perUser): (CommunicationEventType, CommunicationEventType) =
                switch type {
                case .messageReceived: (.chatMessageReceivedInThread, .chatMessageReceived)
                case .messageEdited: (.chatMessageEditedInThread, .chatMessageEdited)
                default: (.chatMessageDeletedInThread, .chatMessageDeleted)
                }
            let base = "\(thread)/sender/\(actor)"
            return [Variant(inThread, base)] + others.map { Variant(perUser, "\(base)/recipient/\($0)", recipient: $0) }
        case .threadCreated:
            let base = "\(thread)/createdBy/\(actor)"
            return [Variant(.chatThreadCreated, base)]
                + event.recipients.map { Variant(.chatThreadCreatedWithUser, "\(base)/recipient/\($0)", recipient: $0) }
        case .threadPropertiesUpdated:
            let base = "\(thread)/editedBy/\(actor)"
            return [Variant(.chatThreadPropertiesUpdated, base)]
                + event.recipients.map { Variant(.chatThreadPropertiesUpdatedPerUser, "\(base)/recipient/\($0)", recipient: $0) }
        case .threadDeleted:
            let base = "\(thread)/deletedBy/\(actor)"
            return [Variant(.chatThreadDeleted, base)]
                + event.recipients.map { Variant(.chatThreadWithUserDeleted, "\(base)/recipient/\($0)", recipient: $0) }
        case .participantsAdded, .participantsRemoved:
            let added = type == .participantsAdded
            let word = added ? "participantadded" : "participantremoved"
            return (data.participants ?? []).flatMap { participant -> [Variant] in
                let base = "\(thread)/\(word)/\(participant.rawId)"
                return [Variant(added ? .chatThreadParticipantAdded : .chatThreadParticipantRemoved, base, participant: participant.rawId)]
                    + event.recipients.map {
                        Variant(
                            added ? .chatParticipantAddedToThreadWithUser : .chatParticipantRemovedFromThreadWithUser,
                            "\(base)/recipient/\($0)", recipient: $0, participant: participant.rawId)
                    }
            }
        case .typingIndicatorReceived:
            return [Variant(.chatTypingIndicatorReceivedInThread, "\(thread)/sender/\(actor)")]
        case .readReceiptReceived:
            return []
        }
    }

    /// The `data` of one variant of a logged event.
    public static func data(for variant: Variant, of event: LoggedEvent) -> JSONValue? {
        guard let data = try? JSONBody.decoder.decode(ChatEventData.self, from: event.data) else { return nil }
        let id = { (raw: String?) in raw.map(CommunicationIdentifierModel.init(rawID:)) }
        let time = { (date: Date?) in date.map(APIDate.format) }
        let recipient = id(variant.recipient)
        let messageType = data.messageType.map { $0.prefix(1).uppercased() + $0.dropFirst() }
        let participants = (data.participants ?? []).map {
            AcsChatThreadParticipantProperties(displayName: $0.displayName, participantCommunicationIdentifier: id($0.rawId), metadata: $0.metadata)
        }
        let participant = participants.first { $0.participantCommunicationIdentifier?.rawId == variant.participant }
        switch variant.type {
        case .chatMessageReceivedInThread:
            return JSONValue(encoding: AcsChatMessageReceivedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: id(data.actor),
                senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime), type: messageType, version: data.version,
                messageBody: data.messageBody, metadata: data.metadata ?? [:]))
        case .chatMessageReceived:
            return JSONValue(encoding: AcsChatMessageReceivedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: id(data.actor), senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime),
                type: messageType, version: data.version, messageBody: data.messageBody, metadata: data.metadata ?? [:]))
        case .chatMessageEditedInThread:
            return JSONValue(encoding: AcsChatMessageEditedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: id(data.actor),
                senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime), type: messageType, version: data.version,
                messageBody: data.messageBody, metadata: data.metadata ?? [:], editTime: time(data.time)))
        case .chatMessageEdited:
            return JSONValue(encoding: AcsChatMessageEditedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: id(data.actor), senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime),
                type: messageType, version: data.version, messageBody: data.messageBody, metadata: data.metadata ?? [:], editTime: time(data.time)))
        case .chatMessageDeletedInThread:
            return JSONValue(encoding: AcsChatMessageDeletedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: id(data.actor),
                senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime), type: messageType, version: data.version,
                deleteTime: time(data.time)))
        case .chatMessageDeleted:
            return JSONValue(encoding: AcsChatMessageDeletedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: id(data.actor), senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.composeTime),
                type: messageType, version: data.version, deleteTime: time(data.time)))
        case .chatThreadCreated:
            return JSONValue(encoding: AcsChatThreadCreatedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                createdByCommunicationIdentifier: id(data.actor), properties: .object(["topic": .string(data.topic ?? "")]),
                metadata: data.threadMetadata ?? [:], participants: participants))
        case .chatThreadCreatedWithUser:
            return JSONValue(encoding: AcsChatThreadCreatedWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime),
                version: data.version, createdByCommunicationIdentifier: id(data.actor), properties: .object(["topic": .string(data.topic ?? "")]),
                metadata: data.threadMetadata ?? [:], participants: participants))
        case .chatThreadPropertiesUpdated:
            return JSONValue(encoding: AcsChatThreadPropertiesUpdatedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                editedByCommunicationIdentifier: id(data.actor), editTime: time(data.time), properties: .object(["topic": .string(data.topic ?? "")]),
                metadata: data.threadMetadata ?? [:]))
        case .chatThreadPropertiesUpdatedPerUser:
            return JSONValue(encoding: AcsChatThreadPropertiesUpdatedPerUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime),
                version: data.version, editedByCommunicationIdentifier: id(data.actor), editTime: time(data.time), metadata: data.threadMetadata ?? [:],
                properties: .object(["topic": .string(data.topic ?? "")])))
        case .chatThreadDeleted:
            return JSONValue(encoding: AcsChatThreadDeletedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                deletedByCommunicationIdentifier: id(data.actor), deleteTime: time(data.time)))
        case .chatThreadWithUserDeleted:
            return JSONValue(encoding: AcsChatThreadWithUserDeletedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime),
                version: data.version, deletedByCommunicationIdentifier: id(data.actor), deleteTime: time(data.time)))
        case .chatThreadParticipantAdded:
            return JSONValue(encoding: AcsChatParticipantAddedToThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, time: time(data.time), addedByCommunicationIdentifier: id(data.actor),
                participantAdded: participant, version: data.version))
        case .chatParticipantAddedToThreadWithUser:
            return JSONValue(encoding: AcsChatParticipantAddedToThreadWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime),
                version: data.version, time: time(data.time), addedByCommunicationIdentifier: id(data.actor), participantAdded: participant))
        case .chatThreadParticipantRemoved:
            return JSONValue(encoding: AcsChatParticipantRemovedFromThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, time: time(data.time), removedByCommunicationIdentifier: id(data.actor),
                participantRemoved: participant, version: data.version))
        case .chatParticipantRemovedFromThreadWithUser:
            return JSONValue(encoding: AcsChatParticipantRemovedFromThreadWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime),
                version: data.version, time: time(data.time), removedByCommunicationIdentifier: id(data.actor), participantRemoved: participant))
        case .chatTypingIndicatorReceivedInThread:
            // The schema models a typing notification as a message event and requires `messageId`, `type` and
            // `messageBody`: a notification has no message, so it carries its own id (its version, a time-based
            // number like message ids), the type `Typing` and an empty body.
            return JSONValue(encoding: AcsChatTypingIndicatorReceivedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.version.map(String.init) ?? "0",
                senderCommunicationIdentifier: id(data.actor), senderDisplayName: data.actorDisplayName ?? "", composeTime: time(data.time),
                type: "Typing", version: data.version, messageBody: ""))
        default:
            return nil
        }
    }
}
