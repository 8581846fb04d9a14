import Foundation

/// The events chat raises, in one canonical form stored in the resource's event log. Real-time sessions and
/// webhooks project them into their own shapes (the ACS SDK's real-time events, Event Grid's per-user and
/// in-thread event types).
public enum ChatEventType: String, Sendable, CaseIterable {
    case messageReceived = "ChatMessageReceived"
    case messageEdited = "ChatMessageEdited"
    case messageDeleted = "ChatMessageDeleted"
    case threadCreated = "ChatThreadCreated"
    case threadPropertiesUpdated = "ChatThreadPropertiesUpdated"
    case threadDeleted = "ChatThreadDeleted"
    case participantsAdded = "ChatParticipantsAdded"
    case participantsRemoved = "ChatParticipantsRemoved"
    case typingIndicatorReceived = "ChatTypingIndicatorReceived"
    case readReceiptReceived = "ChatReadReceiptReceived"
}

/// The data of a chat event. Which fields are set depends on the type.
public struct ChatEventData: EventPayload {
    public struct Participant: Codable, Sendable {
        public var rawId: String
        public var displayName: String?
        public var metadata: [String: String]?
        public var shareHistoryTime: Date?
    }

    public var threadId: String
    public var transactionId: String?
    public var time: Date
    /// Who acted: the sender, creator, editor, deleter, or the participant who added or removed others.
    public var actor: String?
    public var actorDisplayName: String?
    public var messageId: String?
    public var messageType: String?
    public var messageBody: String?
    public var metadata: [String: String]?
    public var composeTime: Date?
    public var version: Int64?
    public var topic: String?
    public var threadMetadata: [String: String]?
    /// Days after creation the thread is deleted, when it has a retention policy.
    public var retentionDays: Int?
    public var createTime: Date?
    public var participants: [Participant]?
    public var chatMessageId: String?

    init(threadId: String, transactionId: String?, time: Date, actor: String?) {
        self.threadId = threadId
        self.transactionId = transactionId
        self.time = time
        self.actor = actor
    }

    /// The event to log: it belongs to its thread (and to `messageID`, whose deletion removes it) and to `actor`,
    /// whose deletion removes it too.
    func event(_ type: ChatEventType, recipients: [String], messageID: String? = nil, actor: String? = nil) -> NewEvent {
        NewEvent(
            type: type.rawValue, payload: self, recipients: recipients,
            correlation: Correlation.chat(thread: threadId, message: messageID), subject: actor.map { .communicationUser($0) })
    }
}

extension ChatEventData.Participant {
    init(_ membership: ChatMembershipRecord) {
        self.init(
            rawId: membership.participant, displayName: membership.displayName, metadata: membership.metadata,
            shareHistoryTime: membership.shareHistoryTime?.date)
    }
}

extension Correlation {
    /// A chat thread, or one of its messages.
    static func chat(thread: String, message: String? = nil) -> Correlation {
        Correlation(scope: "chat:\(thread)", item: message)
    }
}
