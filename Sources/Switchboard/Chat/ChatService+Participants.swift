import Foundation
import SQLKit

extension ChatService {
    /// The current participants, in the order they joined.
    func listParticipants(in thread: String, for user: AuthenticatedUser, resource: ResourceHandle, skip: Int, pageSize: Int)
        async throws -> (items: [ChatWire.Participant], hasMore: Bool)
    {
        try requireChat(user)
        let current = try await resource.store.read { db in
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false)
            return try await ChatStore.memberships(db, resource: resource, thread: thread).filter(\.isCurrent)
        }
        let page = current.dropFirst(skip).prefix(pageSize)
        return (page.map(Self.wireParticipant), current.count > skip + pageSize)
    }

    /// Adds participants (or updates the display name of current ones); returns the ones that could not be added.
    func addParticipants(
        _ requested: [ChatWire.Participant], to thread: String, by user: AuthenticatedUser, resource: ResourceHandle,
        transactionID: String?
    ) async throws -> [APIError] {
        try requireChat(user)
        try requireParticipantManagement(user)
        guard !requested.isEmpty else {
            throw ChatError.invalid(code: "InvalidRequestBody", message: "At least one participant is required.", target: "participants")
        }
        let limits = self.limits
        return try await change(resource) { tx in
            let db = tx.db
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false, locking: true)
            let (candidates, invalid) = try await candidates(requested, resource: resource, in: db)
            let all = try await ChatStore.memberships(db, resource: resource, thread: thread)
            var current = all.filter(\.isCurrent)
            var joining: [Candidate] = []
            for candidate in candidates {
                if var existing = current.first(where: { $0.participant == candidate.rawID }) {
                    existing.displayName = candidate.displayName ?? existing.displayName
                    existing.metadata = candidate.metadata ?? existing.metadata
                    try await ChatStore.updateMembership(db, resource: resource, thread: thread, membership: existing)
                } else {
                    joining.append(candidate)
                }
            }
            guard !joining.isEmpty else { return invalid }
            guard current.count + joining.count <= limits.maxParticipants else {
                throw ChatError.tooManyParticipants(limits.maxParticipants)
            }
            let now = tx.now
            guard let reserved = try await ChatStore.reserve(1, in: db, resource: resource, thread: thread, at: now) else {
                throw ChatError.threadNotFound
            }
            var added: [ChatMembershipRecord] = []
            for candidate in joining {
                let period = (all.filter { $0.participant == candidate.rawID }.map(\.period).max() ?? 0) + 1
                let membership = ChatMembershipRecord(
                    participant: candidate.rawID, period: period, displayName: candidate.displayName,
                    metadata: candidate.metadata, joinedSequence: reserved.sequence,
                    shareHistoryTime: candidate.shareHistoryTime, joinedAt: now)
                try await ChatStore.insertMembership(db, resource: resource, thread: thread, membership: membership)
                added.append(membership)
            }
            current += added
            try await ChatStore.insertMessage(
                db, resource: resource, thread: thread, id: reserved.messageID, sequence: reserved.sequence,
                message: NewChatMessage(
                    type: "participantAdded",
                    content: ChatWire.MessageContent(
                        participants: added.map(Self.wireParticipant),
                        initiatorCommunicationIdentifier: CommunicationIdentifierModel(rawID: user.id.rawID))),
                at: now)
            var data = ChatEventData(threadId: thread, transactionId: transactionID, time: now.date, actor: user.id.rawID)
            data.participants = added.map(ChatEventData.Participant.init)
            data.version = now.milliseconds
            try await events.append(
                [data.event(.participantsAdded, recipients: current.map(\.participant), actor: user.id.rawID)], in: tx)
            return invalid
        }
    }

    /// Removes a participant (`chat` or `chat.join`; ACS's `chat.join.limited` "doesn't allow to add or remove
    /// participants", leaving included). The removed participant keeps read access to the history up to and
    /// including the `participantRemoved` message.
    func removeParticipant(_ rawID: String, from thread: String, by user: AuthenticatedUser, resource: ResourceHandle, transactionID: String?)
        async throws
    {
        try requireChat(user)
        try requireParticipantManagement(user)
        try await change(resource) { tx in
            let db = tx.db
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false, locking: true)
            let current = try await ChatStore.memberships(db, resource: resource, thread: thread).filter(\.isCurrent)
            guard let target = current.first(where: { $0.participant == rawID }) else { throw ChatError.participantNotFound }
            let now = tx.now
            guard let reserved = try await ChatStore.reserve(1, in: db, resource: resource, thread: thread, at: now) else {
                throw ChatError.threadNotFound
            }
            try await ChatStore.insertMessage(
                db, resource: resource, thread: thread, id: reserved.messageID, sequence: reserved.sequence,
                message: NewChatMessage(
                    type: "participantRemoved",
                    content: ChatWire.MessageContent(
                        participants: [Self.wireParticipant(target)],
                        initiatorCommunicationIdentifier: CommunicationIdentifierModel(rawID: user.id.rawID))),
                at: now)
            try await ChatStore.endMembership(
                db, resource: resource, thread: thread, participant: rawID, at: now, lastVisibleSequence: reserved.sequence)
            var data = ChatEventData(threadId: thread, transactionId: transactionID, time: now.date, actor: user.id.rawID)
            data.participants = [ChatEventData.Participant(target)]
            data.version = now.milliseconds
            try await events.append(
                [data.event(.participantsRemoved, recipients: current.map(\.participant), actor: user.id.rawID)], in: tx)
        }
    }

    /// Records that the caller read up to `messageID`.
    func sendReadReceipt(for messageID: String, in thread: String, by user: AuthenticatedUser, resource: ResourceHandle, transactionID: String?)
        async throws
    {
        try requireChat(user)
        let limits = self.limits
        try await change(resource) { tx in
            let db = tx.db
            let access = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false, locking: true)
            guard let message = try await ChatStore.message(db, resource: resource, thread: thread, id: messageID),
                message.deletedAt == nil, access.shows(message)
            else { throw ChatError.messageNotFound }
            let now = tx.now
            try await ChatStore.upsertReadReceipt(
                db, resource: resource, thread: thread, participant: user.id.rawID, messageID: messageID,
                sequence: message.sequence, at: now)
            let recipients = try await currentParticipants(db, resource: resource, thread: thread)
            guard recipients.count <= limits.maxFanoutParticipants else { return }
            var data = ChatEventData(threadId: thread, transactionId: transactionID, time: now.date, actor: user.id.rawID)
            data.chatMessageId = messageID
            data.version = now.milliseconds
            try await events.append(
                [data.event(.readReceiptReceived, recipients: recipients, actor: user.id.rawID)], in: tx)
        }
    }

    func listReadReceipts(in thread: String, for user: AuthenticatedUser, resource: ResourceHandle, skip: Int, pageSize: Int)
        async throws -> (items: [ChatWire.ReadReceipt], hasMore: Bool)
    {
        try requireChat(user)
        let rows = try await resource.store.read { db in
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false)
            return try await ChatStore.readReceipts(db, resource: resource, thread: thread, skip: skip, limit: pageSize + 1)
        }
        return (Array(rows.prefix(pageSize)), rows.count > pageSize)
    }

    /// Tells the other participants the caller is typing (threads up to the fan-out limit only).
    func sendTyping(in thread: String, by user: AuthenticatedUser, displayName: String?, resource: ResourceHandle, transactionID: String?)
        async throws
    {
        try requireChat(user)
        try validateDisplayName(displayName, target: "senderDisplayName")
        let limits = self.limits
        try await change(resource) { tx in
            let db = tx.db
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false, locking: true)
            let participants = try await currentParticipants(db, resource: resource, thread: thread)
            guard participants.count <= limits.maxFanoutParticipants else { return }
            let now = tx.now
            var data = ChatEventData(threadId: thread, transactionId: transactionID, time: now.date, actor: user.id.rawID)
            data.actorDisplayName = displayName
            data.version = now.milliseconds
            try await events.append(
                [data.event(.typingIndicatorReceived, recipients: participants.filter { $0 != user.id.rawID }, actor: user.id.rawID)], in: tx)
        }
    }
}
