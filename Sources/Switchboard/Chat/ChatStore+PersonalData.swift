import Foundation
import SQLKit

/// Chat's queries for a person's data: what chat holds about a user (their export) and erasing it.
extension ChatStore {
    /// The threads `user` takes or took part in.
    static func threadIDs(of user: String, _ db: any SQLDatabase, resource: ResourceHandle) async throws -> [String] {
        try await db.select().distinct().column("thread_id").from("chat_memberships")
            .where("resource_id", .equal, resource.storageID).where("participant", .equal, user)
            .all(decodingColumn: "thread_id", as: String.self)
    }

    /// What chat holds about a user, for their export.
    struct PersonalExport: Encodable, Sendable {
        struct Thread: Encodable, Sendable {
            let id: String
            let topic: String
            let joinedOn: [String]
            let removedOn: [String]
            let displayNames: [String]
        }
        struct Message: Encodable, Sendable {
            let threadId: String
            let id: String
            let type: String
            let senderDisplayName: String?
            let content: ChatWire.MessageContent?
            let metadata: [String: String]?
            let createdOn: String
            let editedOn: String?
            let deletedOn: String?
        }
        struct ReadReceipt: Encodable, Sendable {
            let threadId: String
            let chatMessageId: String
            let readOn: String
        }
        let threads: [Thread]
        let messagesSent: [Message]
        let readReceipts: [ReadReceipt]

        var isEmpty: Bool { threads.isEmpty && messagesSent.isEmpty && readReceipts.isEmpty }
    }

    static func export(of user: String, _ db: any SQLDatabase, resource: ResourceHandle) async throws -> PersonalExport {
        var threads: [PersonalExport.Thread] = []
        for id in try await threadIDs(of: user, db, resource: resource) {
            guard let thread = try await self.thread(db, resource: resource, id: id) else { continue }
            let periods = try await memberships(db, resource: resource, thread: id, participant: user)
            threads.append(
                PersonalExport.Thread(
                    id: id, topic: thread.topic, joinedOn: periods.map { APIDate.format($0.joinedAt.date) },
                    removedOn: periods.compactMap { $0.removedAt.map { APIDate.format($0.date) } },
                    displayNames: periods.compactMap(\.displayName)))
        }
        let messages = try await db.select().columns(["thread_id"] + messageColumns).from("chat_messages")
            .where("resource_id", .equal, resource.storageID).where("sender", .equal, user)
            .orderBy("created_at").all()
            .map { row in
                let message = try decodeMessage(row, resource: resource)
                return PersonalExport.Message(
                    threadId: try row.decode(column: "thread_id", as: String.self), id: message.id, type: message.type,
                    senderDisplayName: message.senderDisplayName, content: message.content, metadata: message.metadata,
                    createdOn: APIDate.format(message.createdAt.date), editedOn: message.editedAt.map { APIDate.format($0.date) },
                    deletedOn: message.deletedAt.map { APIDate.format($0.date) })
            }
        let receipts = try await db.select().columns("thread_id", "message_id", "read_at").from("chat_read_receipts")
            .where("resource_id", .equal, resource.storageID).where("participant", .equal, user)
            .all().map { row in
                PersonalExport.ReadReceipt(
                    threadId: try row.decode(column: "thread_id", as: String.self),
                    chatMessageId: try row.decode(column: "message_id", as: String.self),
                    readOn: APIDate.format(Timestamp(milliseconds: try row.decode(column: "read_at", as: Int64.self)).date))
            }
        return PersonalExport(threads: threads, messagesSent: messages, readReceipts: receipts)
    }

    /// Erases every message `sender` sent in the resource, sender included.
    @discardableResult
    static func eraseMessages(of sender: String, _ db: any SQLDatabase, resource: ResourceHandle, at now: Timestamp) async throws -> Int {
        try await db.update("chat_messages")
            .set("content", to: SQLLiteral.null)
            .set("metadata", to: SQLLiteral.null)
            .set("sender_display_name", to: SQLLiteral.null)
            .set("sender", to: SQLLiteral.null)
            .set("deleted_at", to: now.milliseconds)
            .set("changed_at", to: now.milliseconds)
            .where("resource_id", .equal, resource.storageID).where("sender", .equal, sender)
            .runCounting()
    }

    /// Removes the display name and metadata a participant was given from the `participantAdded` and
    /// `participantRemoved` messages of every thread it took part in; the messages keep their place and the
    /// participant's id.
    @discardableResult
    static func scrubParticipantFromSystemMessages(_ db: any SQLDatabase, resource: ResourceHandle, participant: String) async throws -> Int {
        var scrubbed = 0
        let threads = try await db.select().distinct().column("thread_id").from("chat_memberships")
            .where("resource_id", .equal, resource.storageID).where("participant", .equal, participant)
            .all(decodingColumn: "thread_id", as: String.self)
        for thread in threads {
            let rows = try await db.select().columns(messageColumns).from("chat_messages")
                .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
                .where("type", .in, ["participantAdded", "participantRemoved"])
                .all()
            for row in rows {
                var message = try decodeMessage(row, resource: resource)
                guard var content = message.content, var participants = content.participants,
                    participants.contains(where: {
                        $0.communicationIdentifier.resolvedRawID == participant && ($0.displayName != nil || $0.metadata != nil)
                    })
                else { continue }
                for index in participants.indices where participants[index].communicationIdentifier.resolvedRawID == participant {
                    participants[index].displayName = nil
                    participants[index].metadata = nil
                }
                content.participants = participants
                message.content = content
                try await db.update("chat_messages")
                    .set("content", to: try sealJSON(message.content, resource: resource, field: contentField))
                    .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
                    .where("id", .equal, message.id)
                    .run()
                scrubbed += 1
            }
        }
        return scrubbed
    }

    @discardableResult
    static func removeParticipantEverywhere(_ db: any SQLDatabase, resource: ResourceHandle, participant: String) async throws
        -> (memberships: Int, readReceipts: Int)
    {
        let receipts = try await db.delete(from: "chat_read_receipts").where("resource_id", .equal, resource.storageID)
            .where("participant", .equal, participant).runCounting()
        let memberships = try await db.delete(from: "chat_memberships").where("resource_id", .equal, resource.storageID)
            .where("participant", .equal, participant).runCounting()
        return (memberships, receipts)
    }

}
