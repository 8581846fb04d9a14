import Foundation
import SQLKit

extension ChatService {
    struct OutgoingMessage: Sendable {
        var content: String
        var type: String?
        var senderDisplayName: String?
        var metadata: [String: String]?
        var transactionID: String?
    }

    /// Sends a text or html message; returns its id.
    func sendMessage(_ message: OutgoingMessage, to thread: String, by user: AuthenticatedUser, in resource: ResourceHandle)
        async throws -> String
    {
        try requireChat(user)
        let type = (message.type ?? "text").lowercased()
        guard type == "text" || type == "html" else {
            throw ChatError.invalid(code: "InvalidMessageType", message: "Only text and html messages can be sent.", target: "type")
        }
        guard message.content.utf8.count <= limits.maxMessageBytes else { throw ChatError.messageTooLarge(limits.maxMessageBytes) }
        try validateDisplayName(message.senderDisplayName, target: "senderDisplayName")
        try validateMetadata(message.metadata, target: "metadata")
        let limits = self.limits
        return try await change(resource) { tx in
            let db = tx.db
            let now = tx.now
            // Reserving takes the thread's row lock first, so the memberships and the rate count read next are exact
            // across nodes (a message never reaches a participant another node is removing). Three statements
            // before the message is written: what every send pays, and on SQLite what the single writer waits for.
            guard let reserved = try await ChatStore.reserve(1, in: db, resource: resource, thread: thread, at: now) else {
                throw ChatError.threadNotFound
            }
            let windowStart = now.adding(seconds: -Int64(limits.windowSeconds))
            let roster = try await ChatStore.sendRoster(db, resource: resource, thread: thread, since: windowStart)
            let own = roster.members.filter { $0.participant == user.id.rawID }
            guard !own.isEmpty else { throw ChatError.threadNotFound }
            guard own.contains(where: \.current) else { throw ChatError.notAParticipant }
            let recipients = roster.members.filter(\.current).map(\.participant)
            if let oldest = try await ChatStore.windowFreedBy(
                db, resource: resource, thread: thread, since: windowStart, count: roster.recentMessages,
                limit: limits.messagesPerWindow)
            {
                // Retry when enough of the window's messages have left it.
                let wait = oldest.milliseconds + Int64(limits.windowSeconds) * 1000 - now.milliseconds
                throw ChatError.rateLimited(retryAfter: Int(max(1, (wait + 999) / 1000)))
            }
            let sender = user.id.rawID
            try await ChatStore.insertMessage(
                db, resource: resource, thread: thread, id: reserved.messageID, sequence: reserved.sequence,
                message: NewChatMessage(
                    type: type, sender: sender, senderDisplayName: message.senderDisplayName,
                    content: ChatWire.MessageContent(message: message.content), metadata: message.metadata),
                at: now)
            let id = String(reserved.messageID)
            var data = ChatEventData(threadId: thread, transactionId: message.transactionID, time: now.date, actor: sender)
            data.actorDisplayName = message.senderDisplayName
            data.messageId = id
            data.messageType = type
            data.messageBody = message.content
            data.metadata = message.metadata
            data.composeTime = now.date
            data.version = reserved.messageID
            try await events.append(
                [data.event(.messageReceived, recipients: recipients, messageID: id, actor: sender)], in: tx)
            return id
        }
    }

    /// A message the caller may see.
    func message(_ id: String, in thread: String, for user: AuthenticatedUser, resource: ResourceHandle) async throws
        -> ChatMessageRecord
    {
        try requireChat(user)
        return try await resource.store.read { db in
            let access = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: true)
            guard let message = try await ChatStore.message(db, resource: resource, thread: thread, id: id), access.shows(message)
            else { throw ChatError.messageNotFound }
            return message
        }
    }

    struct MessageCursor: Codable {
        var s: Int64
    }

    /// The messages the caller may see, newest first; a removed participant sees those up to the removal.
    func listMessages(
        in thread: String, for user: AuthenticatedUser, resource: ResourceHandle, since: Date?, pageSize: Int,
        cursor: MessageCursor?
    ) async throws -> (items: [ChatWire.Message], next: MessageCursor?) {
        try requireChat(user)
        let rows = try await resource.store.read { db in
            _ = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: true)
            return try await ChatStore.visibleMessages(
                db, resource: resource, thread: thread, participant: user.id.rawID, since: since.map(Timestamp.init),
                beforeSequence: cursor?.s, limit: pageSize + 1)
        }
        let page = rows.prefix(pageSize)
        return (page.map(\.wire), rows.count > pageSize ? page.last.map { MessageCursor(s: $0.sequence) } : nil)
    }

    struct MessageEdit: Sendable {
        var content: String?
        var metadata: [String: String]?
        var transactionID: String?
    }

    /// Edits the caller's own message.
    func updateMessage(_ id: String, in thread: String, _ edit: MessageEdit, by user: AuthenticatedUser, resource: ResourceHandle)
        async throws
    {
        try requireChat(user)
        if let content = edit.content, content.utf8.count > limits.maxMessageBytes {
            throw ChatError.messageTooLarge(limits.maxMessageBytes)
        }
        try validateMetadata(edit.metadata, target: "metadata")
        try await change(resource) { tx in
            let db = tx.db
            var message = try await ownMessage(id, in: thread, of: user, resource: resource, db: db)
            let now = tx.now
            if let content = edit.content { message.content = ChatWire.MessageContent(message: content) }
            if let metadata = edit.metadata { message.metadata = metadata }
            message.editedAt = now
            message.version = max(now.milliseconds, message.version + 1)
            try await ChatStore.updateMessage(db, resource: resource, thread: thread, message: message, at: now)
            var data = ChatEventData(threadId: thread, transactionId: edit.transactionID, time: now.date, actor: user.id.rawID)
            data.actorDisplayName = message.senderDisplayName
            data.messageId = id
            data.messageType = message.type
            data.messageBody = message.content?.message
            data.metadata = message.metadata
            data.composeTime = message.createdAt.date
            data.version = message.version
            try await events.append(
                [
                    data.event(
                        .messageEdited, recipients: try await currentParticipants(db, resource: resource, thread: thread),
                        messageID: id, actor: user.id.rawID)
                ], in: tx)
        }
    }

    /// Deletes the caller's own message: its content, metadata and sender name are erased from the store, and the
    /// events that carried them are removed; a tombstone keeps its place (`deletedOn`).
    func deleteMessage(_ id: String, in thread: String, by user: AuthenticatedUser, resource: ResourceHandle, transactionID: String?)
        async throws
    {
        try requireChat(user)
        let erased = try await change(resource) { tx -> Bool in
            let db = tx.db
            let message = try await ownMessage(id, in: thread, of: user, resource: resource, db: db, allowingDeleted: true)
            if message.deletedAt != nil { return false }
            let now = tx.now
            let version = max(now.milliseconds, message.version + 1)
            try await ChatStore.eraseMessage(db, resource: resource, thread: thread, id: id, version: version, at: now)
            try await tx.withdraw(.chat(thread: thread, message: id))
            var data = ChatEventData(threadId: thread, transactionId: transactionID, time: now.date, actor: user.id.rawID)
            data.messageId = id
            data.messageType = message.type
            data.composeTime = message.createdAt.date
            data.version = version
            try await events.append(
                [
                    data.event(
                        .messageDeleted, recipients: try await currentParticipants(db, resource: resource, thread: thread),
                        actor: user.id.rawID)
                ], in: tx)
            return true
        }
        if erased { try await resource.store.reclaimDeletedRows(in: ChatSchema.erasableTables, .withinMaintenanceInterval) }
    }

    /// The caller's own, visible, text or html message, for editing or deleting.
    func ownMessage(
        _ id: String, in thread: String, of user: AuthenticatedUser, resource: ResourceHandle, db: any SQLDatabase,
        allowingDeleted: Bool = false
    ) async throws -> ChatMessageRecord {
        let access = try await access(db, resource: resource, user: user, thread: thread, allowingFormer: false, locking: true)
        guard let message = try await ChatStore.message(db, resource: resource, thread: thread, id: id), access.shows(message)
        else { throw ChatError.messageNotFound }
        guard message.type == "text" || message.type == "html" else { throw ChatError.systemMessage }
        guard message.sender == user.id.rawID else { throw ChatError.notTheSender }
        if message.deletedAt != nil && !allowingDeleted { throw ChatError.messageNotFound }
        return message
    }
}
