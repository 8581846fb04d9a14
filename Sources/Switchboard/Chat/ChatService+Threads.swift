import Foundation
import SQLKit

extension ChatService {
    struct NewThread: Sendable {
        var topic: String
        var participants: [ChatWire.Participant]
        var metadata: [String: String]?
        var retentionPolicy: ChatWire.RetentionPolicy?
        var repeatabilityRequestID: String?
        var transactionID: String?
    }

    /// Creates a thread with its creator and `participants`; with a repeatability id already used by the same
    /// creator, returns the thread created then.
    func createThread(_ request: NewThread, by user: AuthenticatedUser, in resource: ResourceHandle) async throws
        -> (ChatThreadRecord, [APIError])
    {
        try requireThreadManagement(user, "create chat threads")
        try validateTopic(request.topic)
        try validateMetadata(request.metadata, target: "metadata")
        let retention = try retentionDays(request.retentionPolicy)
        let creator = user.id.rawID
        let key = request.repeatabilityRequestID.map { Self.creationKey(creator: creator, requestID: $0) }
        do {
            return try await change(resource) { tx in
                let db = tx.db
                if let key, let existing = try await ChatStore.threadID(db, resource: resource, creationKey: key),
                    let thread = try await ChatStore.thread(db, resource: resource, id: existing)
                {
                    return (thread, [])
                }
                let (candidates, invalid) = try await candidates(request.participants, resource: resource, in: db)
                var members = candidates.filter { $0.rawID != creator }
                let creatorEntry = candidates.first { $0.rawID == creator }
                members.insert(
                    Candidate(
                        rawID: creator, displayName: creatorEntry?.displayName, shareHistoryTime: creatorEntry?.shareHistoryTime,
                        metadata: creatorEntry?.metadata), at: 0)
                guard members.count <= limits.maxParticipants else { throw ChatError.tooManyParticipants(limits.maxParticipants) }

                let now = tx.now
                let id = Self.newThreadID()
                try await ChatStore.insertThread(
                    db, resource: resource, id: id, topic: request.topic, metadata: request.metadata, createdBy: creator,
                    at: now, retentionDays: retention, creationKey: key)
                guard let reserved = try await ChatStore.reserve(2, in: db, resource: resource, thread: id, at: now) else {
                    throw ChatError.threadNotFound
                }
                var memberships: [ChatMembershipRecord] = []
                for member in members {
                    let membership = ChatMembershipRecord(
                        participant: member.rawID, period: 1, displayName: member.displayName, metadata: member.metadata,
                        joinedSequence: 1, shareHistoryTime: member.shareHistoryTime, joinedAt: now)
                    try await ChatStore.insertMembership(db, resource: resource, thread: id, membership: membership)
                    memberships.append(membership)
                }
                let initiator = CommunicationIdentifierModel(rawID: creator)
                try await ChatStore.insertMessage(
                    db, resource: resource, thread: id, id: reserved.messageID, sequence: reserved.sequence,
                    message: NewChatMessage(
                        type: "participantAdded",
                        content: ChatWire.MessageContent(
                            participants: memberships.map(Self.wireParticipant), initiatorCommunicationIdentifier: initiator)),
                    at: now)
                try await ChatStore.insertMessage(
                    db, resource: resource, thread: id, id: reserved.messageID + 1, sequence: reserved.sequence + 1,
                    message: NewChatMessage(
                        type: "topicUpdated",
                        content: ChatWire.MessageContent(topic: request.topic, initiatorCommunicationIdentifier: initiator)),
                    at: now)

                var data = ChatEventData(threadId: id, transactionId: request.transactionID, time: now.date, actor: creator)
                data.topic = request.topic
                data.threadMetadata = request.metadata
                data.retentionDays = retention
                data.createTime = now.date
                data.version = now.milliseconds
                data.participants = memberships.map(ChatEventData.Participant.init)
                try await events.append(
                    [data.event(.threadCreated, recipients: memberships.map(\.participant), actor: creator)], in: tx)
                guard let thread = try await ChatStore.thread(db, resource: resource, id: id) else {
                    throw ChatError.threadNotFound
                }
                return (thread, invalid)
            }
        } catch let error as any APIErrorConvertible {
            throw error
        } catch {
            // Two requests with the same repeatability id raced; the loser finds the winner's thread.
            if let key,
                let thread = try await resource.store.read({ db -> ChatThreadRecord? in
                    guard let id = try await ChatStore.threadID(db, resource: resource, creationKey: key) else { return nil }
                    return try await ChatStore.thread(db, resource: resource, id: id)
                })
            {
                return (thread, [])
            }
            throw error
        }
    }

    func threadProperties(_ id: String, for user: AuthenticatedUser, in resource: ResourceHandle) async throws -> ChatThreadRecord {
        try requireChat(user)
        return try await resource.store.read { db in
            let access = try await access(db, resource: resource, user: user, thread: id, allowingFormer: true)
            var thread = access.thread
            // A former participant sees the thread as it was when they left: a topic changed since is news to them.
            if !access.isCurrent, let removed = access.memberships.compactMap(\.removedSequence).max(),
                let topic = try await ChatStore.topic(db, resource: resource, thread: id, asOf: removed)
            {
                thread.topic = topic
            }
            return thread
        }
    }

    struct ThreadUpdate: Sendable {
        var topic: ChatWire.Patch<String>
        var metadata: ChatWire.Patch<[String: String]>
        var retentionPolicy: ChatWire.Patch<ChatWire.RetentionPolicy>
        var transactionID: String?
    }

    /// Changes the topic, metadata or retention policy; a new topic adds a `topicUpdated` message.
    func updateThread(_ id: String, _ update: ThreadUpdate, by user: AuthenticatedUser, in resource: ResourceHandle) async throws {
        try requireThreadManagement(user, "update chat threads")
        if case .value(let topic) = update.topic { try validateTopic(topic) }
        if case .null = update.topic {
            throw ChatError.invalid(code: "InvalidTopic", message: "The topic cannot be removed.", target: "topic")
        }
        if case .value(let metadata) = update.metadata { try validateMetadata(metadata, target: "metadata") }
        let retention: Int??
        switch update.retentionPolicy {
        case .absent: retention = nil
        case .null: retention = .some(nil)
        case .value(let policy): retention = .some(try retentionDays(policy))
        }
        try await change(resource) { tx in
            let db = tx.db
            var thread = try await access(db, resource: resource, user: user, thread: id, allowingFormer: false, locking: true).thread
            let now = tx.now
            var changed = false
            if case .value(let topic) = update.topic, topic != thread.topic {
                thread.topic = topic
                changed = true
                guard let reserved = try await ChatStore.reserve(1, in: db, resource: resource, thread: id, at: now) else {
                    throw ChatError.threadNotFound
                }
                try await ChatStore.insertMessage(
                    db, resource: resource, thread: id, id: reserved.messageID, sequence: reserved.sequence,
                    message: NewChatMessage(
                        type: "topicUpdated",
                        content: ChatWire.MessageContent(
                            topic: topic, initiatorCommunicationIdentifier: CommunicationIdentifierModel(rawID: user.id.rawID))),
                    at: now)
            }
            switch update.metadata {
            case .absent: break
            case .null: thread.metadata = nil; changed = true
            case .value(let metadata): thread.metadata = metadata; changed = true
            }
            if let retention {
                thread.retentionDays = retention
                changed = true
            }
            guard changed else { return }
            try await ChatStore.updateThread(db, resource: resource, thread: thread)
            var data = ChatEventData(threadId: id, transactionId: update.transactionID, time: now.date, actor: user.id.rawID)
            data.topic = thread.topic
            data.threadMetadata = thread.metadata
            data.retentionDays = thread.retentionDays
            data.createTime = thread.createdAt.date
            data.version = now.milliseconds
            try await events.append(
                [
                    data.event(
                        .threadPropertiesUpdated, recipients: try await currentParticipants(db, resource: resource, thread: id),
                        actor: user.id.rawID)
                ], in: tx)
        }
    }

    /// Deletes a thread: all its messages, read receipts and events go; the thread stays listed with `deletedOn`.
    func deleteThread(_ id: String, by user: AuthenticatedUser?, in resource: ResourceHandle, transactionID: String?) async throws {
        if let user { try requireThreadManagement(user, "delete chat threads") }
        try await change(resource) { tx in
            let db = tx.db
            guard let thread = try await ChatStore.thread(db, resource: resource, id: id, locking: true) else { throw ChatError.threadNotFound }
            if let user {
                let memberships = try await ChatStore.memberships(db, resource: resource, thread: id, participant: user.id.rawID)
                guard !memberships.isEmpty else { throw ChatError.threadNotFound }
                if thread.deletedAt != nil { return }
                guard memberships.contains(where: \.isCurrent) else { throw ChatError.notAParticipant }
            } else if thread.deletedAt != nil {
                return
            }
            let recipients = try await currentParticipants(db, resource: resource, thread: id)
            let now = tx.now
            guard try await ChatStore.markDeleted(db, resource: resource, thread: id, at: now) else { return }
            try await tx.withdraw(.chat(thread: id))
            var data = ChatEventData(threadId: id, transactionId: transactionID, time: now.date, actor: user?.id.rawID)
            data.createTime = thread.createdAt.date
            data.version = now.milliseconds
            try await events.append(
                [data.event(.threadDeleted, recipients: recipients, actor: user?.id.rawID)], in: tx)
        }
        try await resource.store.reclaimDeletedRows(in: ChatSchema.erasableTables, .withinMaintenanceInterval)
    }

    struct ThreadCursor: Codable {
        var t: Int64
        var i: String
    }

    /// The threads the user takes or took part in, most recently active first.
    func listThreads(for user: AuthenticatedUser, in resource: ResourceHandle, since: Date?, pageSize: Int, cursor: ThreadCursor?)
        async throws -> (items: [ChatWire.ThreadItem], next: ThreadCursor?)
    {
        try requireChat(user)
        let (rows, formerTopics) = try await resource.store.read { db in
            let rows = try await ChatStore.threads(
                db, resource: resource, user: user.id.rawID, since: since.map(Timestamp.init),
                before: cursor.map { ($0.t, $0.i) }, limit: pageSize + 1)
            // Threads the user left are listed with the topic they had then.
            var topics: [String: String] = [:]
            for row in rows.prefix(pageSize) where !row.current {
                if let removed = row.removedSequence,
                    let topic = try await ChatStore.topic(db, resource: resource, thread: row.thread.id, asOf: removed)
                {
                    topics[row.thread.id] = topic
                }
            }
            return (rows, topics)
        }
        let page = rows.prefix(pageSize)
        let items = page.map { row in
            let lastSeen = row.current ? row.thread.lastMessageAt : min(row.thread.lastMessageAt, row.removedAt ?? row.thread.lastMessageAt)
            return ChatWire.ThreadItem(
                id: row.thread.id, topic: formerTopics[row.thread.id] ?? row.thread.topic, deletedOn: row.thread.deletedAt?.date,
                lastMessageReceivedOn: lastSeen.date)
        }
        let next = rows.count > pageSize ? page.last.map { ThreadCursor(t: $0.thread.lastMessageAt.milliseconds, i: $0.thread.id) } : nil
        return (items, next)
    }

    static func wireParticipant(_ membership: ChatMembershipRecord) -> ChatWire.Participant {
        ChatWire.Participant(
            communicationIdentifier: CommunicationIdentifierModel(rawID: membership.participant),
            displayName: membership.displayName, shareHistoryTime: membership.shareHistoryTime?.date,
            metadata: membership.metadata)
    }
}
