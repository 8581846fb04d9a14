import Foundation
import SQLKit

/// How chat's logged events look outside: the Event Grid events ACS publishes for each (the in-thread event and
/// the per-user variants, one per recipient, or per recipient and participant) with ACS's subjects
/// (`+EventGrid`), and the real-time notifications of the chat SDKs (`+Realtime`).
struct ChatEventProjection: EventProjection {
    var eventTypes: [String] { ChatEventType.allCases.map(\.rawValue) }

    func eventGridVariants(of data: ChatEventData, header: EventHeader) -> [EventGridVariant] {
        guard let type = ChatEventType(rawValue: header.type) else { return [] }
        let thread = "thread/\(data.threadId)"
        let actor = data.actor ?? "system"
        let others = header.recipients.filter { $0 != data.actor }
        switch type {
        case .messageReceived, .messageEdited, .messageDeleted:
            let (inThread, perUser): (CommunicationEventType, CommunicationEventType) =
                switch type {
                case .messageReceived: (.chatMessageReceivedInThread, .chatMessageReceived)
                case .messageEdited: (.chatMessageEditedInThread, .chatMessageEdited)
                default: (.chatMessageDeletedInThread, .chatMessageDeleted)
                }
            let base = "\(thread)/sender/\(actor)"
            return [EventGridVariant(inThread, subject: base)]
                + others.map { EventGridVariant(perUser, subject: "\(base)/recipient/\($0)", recipient: $0) }
        case .threadCreated:
            let base = "\(thread)/createdBy/\(actor)"
            return [EventGridVariant(.chatThreadCreated, subject: base)]
                + header.recipients.map { EventGridVariant(.chatThreadCreatedWithUser, subject: "\(base)/recipient/\($0)", recipient: $0) }
        case .threadPropertiesUpdated:
            let base = "\(thread)/editedBy/\(actor)"
            return [EventGridVariant(.chatThreadPropertiesUpdated, subject: base)]
                + header.recipients.map {
                    EventGridVariant(.chatThreadPropertiesUpdatedPerUser, subject: "\(base)/recipient/\($0)", recipient: $0)
                }
        case .threadDeleted:
            let base = "\(thread)/deletedBy/\(actor)"
            return [EventGridVariant(.chatThreadDeleted, subject: base)]
                + header.recipients.map { EventGridVariant(.chatThreadWithUserDeleted, subject: "\(base)/recipient/\($0)", recipient: $0) }
        case .participantsAdded, .participantsRemoved:
            let added = type == .participantsAdded
            let word = added ? "participantadded" : "participantremoved"
            return (data.participants ?? []).flatMap { participant -> [EventGridVariant] in
                let base = "\(thread)/\(word)/\(participant.rawId)"
                return [
                    EventGridVariant(
                        added ? .chatThreadParticipantAdded : .chatThreadParticipantRemoved, subject: base, participant: participant.rawId)
                ]
                    + header.recipients.map {
                        EventGridVariant(
                            added ? .chatParticipantAddedToThreadWithUser : .chatParticipantRemovedFromThreadWithUser,
                            subject: "\(base)/recipient/\($0)", recipient: $0, participant: participant.rawId)
                    }
            }
        case .typingIndicatorReceived:
            return [EventGridVariant(.chatTypingIndicatorReceivedInThread, subject: "\(thread)/sender/\(actor)")]
        case .readReceiptReceived:
            return []
        }
    }

    /// A user replays the events of the threads they take or took part in (what they may see of them is decided
    /// by the recipients each event was logged with).
    func realtimeScopes(of user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String] {
        try await ChatStore.threadIDs(of: user, db, resource: resource).map { Correlation.chat(thread: $0).scope }
    }
}
