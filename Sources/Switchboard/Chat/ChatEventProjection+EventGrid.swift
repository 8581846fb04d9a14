import Foundation

extension ChatEventProjection {
    /// The `data` of one Event Grid variant of a chat event: exactly the fields of its schema definition
    /// (`Events/Generated/CommunicationEventCatalog.swift`).
    func eventGridData(for variant: EventGridVariant, of data: ChatEventData, header: EventHeader) -> (any Encodable & Sendable)? {
        let id = { (raw: String?) in raw.map(CommunicationIdentifierModel.init(rawID:)) }
        let time = { (date: Date?) in date.map(APIDate.format) }
        let recipient = id(variant.recipient)
        let sender = id(data.actor)
        let senderName = data.actorDisplayName ?? ""
        let messageType = data.messageType.map { $0.prefix(1).uppercased() + $0.dropFirst() }
        let properties = JSONValue.object(["topic": .string(data.topic ?? "")])
        let participants = (data.participants ?? []).map {
            AcsChatThreadParticipantProperties(displayName: $0.displayName, participantCommunicationIdentifier: id($0.rawId), metadata: $0.metadata)
        }
        let participant = participants.first { $0.participantCommunicationIdentifier?.rawId == variant.participant }
        switch variant.type {
        case .chatMessageReceivedInThread:
            return AcsChatMessageReceivedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: sender,
                senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType, version: data.version,
                messageBody: data.messageBody, metadata: data.metadata ?? [:])
        case .chatMessageReceived:
            return AcsChatMessageReceivedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: sender, senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType,
                version: data.version, messageBody: data.messageBody, metadata: data.metadata ?? [:])
        case .chatMessageEditedInThread:
            return AcsChatMessageEditedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: sender,
                senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType, version: data.version,
                messageBody: data.messageBody, metadata: data.metadata ?? [:], editTime: time(data.time))
        case .chatMessageEdited:
            return AcsChatMessageEditedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: sender, senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType,
                version: data.version, messageBody: data.messageBody, metadata: data.metadata ?? [:], editTime: time(data.time))
        case .chatMessageDeletedInThread:
            return AcsChatMessageDeletedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId, senderCommunicationIdentifier: sender,
                senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType, version: data.version,
                deleteTime: time(data.time))
        case .chatMessageDeleted:
            return AcsChatMessageDeletedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId, messageId: data.messageId,
                senderCommunicationIdentifier: sender, senderDisplayName: senderName, composeTime: time(data.composeTime), type: messageType,
                version: data.version, deleteTime: time(data.time))
        case .chatThreadCreated:
            return AcsChatThreadCreatedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                createdByCommunicationIdentifier: sender, properties: properties, metadata: data.threadMetadata ?? [:], participants: participants)
        case .chatThreadCreatedWithUser:
            return AcsChatThreadCreatedWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId,
                createTime: time(data.createTime), version: data.version, createdByCommunicationIdentifier: sender, properties: properties,
                metadata: data.threadMetadata ?? [:], participants: participants)
        case .chatThreadPropertiesUpdated:
            return AcsChatThreadPropertiesUpdatedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                editedByCommunicationIdentifier: sender, editTime: time(data.time), properties: properties, metadata: data.threadMetadata ?? [:])
        case .chatThreadPropertiesUpdatedPerUser:
            return AcsChatThreadPropertiesUpdatedPerUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId,
                createTime: time(data.createTime), version: data.version, editedByCommunicationIdentifier: sender, editTime: time(data.time),
                metadata: data.threadMetadata ?? [:], properties: properties)
        case .chatThreadDeleted:
            return AcsChatThreadDeletedEventData(
                transactionId: data.transactionId, threadId: data.threadId, createTime: time(data.createTime), version: data.version,
                deletedByCommunicationIdentifier: sender, deleteTime: time(data.time))
        case .chatThreadWithUserDeleted:
            return AcsChatThreadWithUserDeletedEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId,
                createTime: time(data.createTime), version: data.version, deletedByCommunicationIdentifier: sender, deleteTime: time(data.time))
        case .chatThreadParticipantAdded:
            return AcsChatParticipantAddedToThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, time: time(data.time), addedByCommunicationIdentifier: sender,
                participantAdded: participant, version: data.version)
        case .chatParticipantAddedToThreadWithUser:
            return AcsChatParticipantAddedToThreadWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId,
                createTime: time(data.createTime), version: data.version, time: time(data.time), addedByCommunicationIdentifier: sender,
                participantAdded: participant)
        case .chatThreadParticipantRemoved:
            return AcsChatParticipantRemovedFromThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, time: time(data.time), removedByCommunicationIdentifier: sender,
                participantRemoved: participant, version: data.version)
        case .chatParticipantRemovedFromThreadWithUser:
            return AcsChatParticipantRemovedFromThreadWithUserEventData(
                recipientCommunicationIdentifier: recipient, transactionId: data.transactionId, threadId: data.threadId,
                createTime: time(data.createTime), version: data.version, time: time(data.time), removedByCommunicationIdentifier: sender,
                participantRemoved: participant)
        case .chatTypingIndicatorReceivedInThread:
            // The schema models a typing notification as a message event and requires `messageId`, `type` and
            // `messageBody`: a notification has no message, so it carries its own id (its version, a time-based
            // number like message ids), the type `Typing` and an empty body.
            return AcsChatTypingIndicatorReceivedInThreadEventData(
                transactionId: data.transactionId, threadId: data.threadId, messageId: data.version.map(String.init) ?? "0",
                senderCommunicationIdentifier: sender, senderDisplayName: senderName, composeTime: time(data.time), type: "Typing",
                version: data.version, messageBody: "")
        default:
            return nil
        }
    }
}
