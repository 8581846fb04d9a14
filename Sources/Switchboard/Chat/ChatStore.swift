import Foundation
import SQLKit

/// The queries of the Chat capability. Every query is scoped to one resource; personal fields are sealed on the
/// way in and opened on the way out.
enum ChatStore {
    static let topicField = PersonalField(rawValue: "chat_threads.topic")
    static let threadMetadataField = PersonalField(rawValue: "chat_threads.metadata")
    static let displayNameField = PersonalField(rawValue: "chat_memberships.display_name")
    static let participantMetadataField = PersonalField(rawValue: "chat_memberships.metadata")
    static let senderNameField = PersonalField(rawValue: "chat_messages.sender_display_name")
    static let contentField = PersonalField(rawValue: "chat_messages.content")
    static let messageMetadataField = PersonalField(rawValue: "chat_messages.metadata")

    // MARK: Threads

    static func insertThread(
        _ db: any SQLDatabase, resource: ResourceHandle, id: String, topic: String, metadata: [String: String]?,
        createdBy: String, at now: Timestamp, retentionDays: Int?, creationKey: Data?
    ) async throws {
        try await db.insert(into: "chat_threads")
            .columns(
                "resource_id", "id", "topic", "metadata", "created_by", "created_at", "retention_days", "expires_at",
                "last_sequence", "last_message_id", "last_message_at", "creation_key"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(id), SQLBind(try resource.crypto.seal(topic, field: topicField)),
                SQLBind(try sealJSON(metadata, resource: resource, field: threadMetadataField)), SQLBind(createdBy),
                SQLBind(now.milliseconds), SQLBind(retentionDays),
                SQLBind(retentionDays.map { now.adding(seconds: Int64($0) * 86_400).milliseconds }),
                SQLBind(Int64(0)), SQLBind(Int64(0)), SQLBind(now.milliseconds), SQLBind(creationKey)
            )
            .run()
    }

    static func threadID(_ db: any SQLDatabase, resource: ResourceHandle, creationKey: Data) async throws -> String? {
        try await db.select().column("id").from("chat_threads")
            .where("resource_id", .equal, resource.storageID).where("creation_key", .equal, creationKey)
            .first(decodingColumn: "id", as: String.self)
    }

    static let threadColumns = [
        "id", "topic", "metadata", "created_by", "created_at", "deleted_at", "retention_days", "last_sequence",
        "last_message_at",
    ]

    /// The thread `id`. With `locking`, its row stays locked until the transaction ends (PostgreSQL's `FOR UPDATE`;
    /// SQLite's single writer already serializes changes), so changes to one thread happen one after another.
    static func thread(_ db: any SQLDatabase, resource: ResourceHandle, id: String, locking: Bool = false) async throws
        -> ChatThreadRecord?
    {
        let query = db.select().columns(threadColumns).from("chat_threads")
            .where("resource_id", .equal, resource.storageID).where("id", .equal, id)
        if locking { query.for(.update) }
        return try await query.first().map { try decodeThread($0, resource: resource) }
    }

    static func updateThread(_ db: any SQLDatabase, resource: ResourceHandle, thread: ChatThreadRecord) async throws {
        try await db.update("chat_threads")
            .set("topic", to: try resource.crypto.seal(thread.topic, field: topicField))
            .set("metadata", to: try sealJSON(thread.metadata, resource: resource, field: threadMetadataField))
            .set("retention_days", to: thread.retentionDays)
            .set(
                "expires_at",
                to: thread.retentionDays.map { thread.createdAt.adding(seconds: Int64($0) * 86_400).milliseconds }
            )
            .where("resource_id", .equal, resource.storageID).where("id", .equal, thread.id)
            .run()
    }

    /// Reserves `count` consecutive sequence numbers and message ids in a live thread, taking its row lock.
    /// Message ids are millisecond timestamps, kept increasing within the thread. Returns the first of each, or
    /// `nil` when the thread does not exist or is deleted.
    static func reserve(_ count: Int, in db: any SQLDatabase, resource: ResourceHandle, thread: String, at now: Timestamp)
        async throws -> (sequence: Int64, messageID: Int64)?
    {
        let n = Int64(count)
        let row = try await db.raw(
            """
            UPDATE chat_threads SET
                last_sequence = last_sequence + \(bind: n),
                last_message_id = CASE WHEN last_message_id >= \(bind: now.milliseconds) THEN last_message_id + \(bind: n)
                                       ELSE \(bind: now.milliseconds + n - 1) END,
                last_message_at = \(bind: now.milliseconds)
            WHERE resource_id = \(bind: resource.storageID) AND id = \(bind: thread) AND deleted_at IS NULL
            RETURNING last_sequence, last_message_id
            """
        ).first()
        guard let row else { return nil }
        let lastSequence = try row.decode(column: "last_sequence", as: Int64.self)
        let lastID = try row.decode(column: "last_message_id", as: Int64.self)
        return (lastSequence - n + 1, lastID - n + 1)
    }

    /// Marks a thread deleted and removes its messages, read receipts and events; returns false if it was
    /// already deleted or does not exist.
    static func markDeleted(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, at now: Timestamp) async throws
        -> Bool
    {
        let updated = try await db.update("chat_threads").set("deleted_at", to: now.milliseconds)
            .set("expires_at", to: SQLLiteral.null)
            .where("resource_id", .equal, resource.storageID).where("id", .equal, thread)
            .where("deleted_at", .is, SQLLiteral.null)
            .returning("id").all()
        guard !updated.isEmpty else { return false }
        try await db.delete(from: "chat_messages").where("resource_id", .equal, resource.storageID)
            .where("thread_id", .equal, thread).run()
        try await db.delete(from: "chat_read_receipts").where("resource_id", .equal, resource.storageID)
            .where("thread_id", .equal, thread).run()
        return true
    }

    /// A page of the threads `user` has taken part in, most recently active first.
    static func threads(
        _ db: any SQLDatabase, resource: ResourceHandle, user: String, since: Timestamp?,
        before cursor: (lastMessageAt: Int64, id: String)?, limit: Int
    ) async throws -> [(thread: ChatThreadRecord, current: Bool, removedAt: Timestamp?, removedSequence: Int64?)] {
        var sql: SQLQueryString = """
            SELECT t.id, t.topic, t.metadata, t.created_by, t.created_at, t.deleted_at, t.retention_days, t.last_sequence,
                   t.last_message_at,
                   MIN(CASE WHEN m.removed_at IS NULL THEN 0 ELSE 1 END) AS removed,
                   MAX(m.removed_at) AS removed_at, MAX(m.removed_sequence) AS removed_sequence
            FROM chat_threads t JOIN chat_memberships m ON m.resource_id = t.resource_id AND m.thread_id = t.id
            WHERE t.resource_id = \(bind: resource.storageID) AND m.participant = \(bind: user)
            """
        if let since { sql.appendInterpolation(unsafeRaw: " AND t.last_message_at >= "); sql.appendInterpolation(bind: since.milliseconds) }
        if let cursor {
            sql.appendInterpolation(unsafeRaw: " AND (t.last_message_at < ")
            sql.appendInterpolation(bind: cursor.lastMessageAt)
            sql.appendInterpolation(unsafeRaw: " OR (t.last_message_at = ")
            sql.appendInterpolation(bind: cursor.lastMessageAt)
            sql.appendInterpolation(unsafeRaw: " AND t.id < ")
            sql.appendInterpolation(bind: cursor.id)
            sql.appendInterpolation(unsafeRaw: "))")
        }
        sql.appendInterpolation(
            unsafeRaw: """
                 GROUP BY t.id, t.topic, t.metadata, t.created_by, t.created_at, t.deleted_at, t.retention_days,
                          t.last_sequence, t.last_message_at
                 ORDER BY t.last_message_at DESC, t.id DESC
                """)
        sql.appendInterpolation(unsafeRaw: " LIMIT ")
        sql.appendInterpolation(bind: limit)
        return try await db.raw(sql).all().map { row in
            let removed = try row.decode(column: "removed", as: Int.self) == 1
            let removedAt = try row.decode(column: "removed_at", as: Int64?.self).map { Timestamp(milliseconds: $0) }
            let removedSequence = try row.decode(column: "removed_sequence", as: Int64?.self)
            return (try decodeThread(row, resource: resource), !removed, removed ? removedAt : nil, removed ? removedSequence : nil)
        }
    }

    /// Threads whose retention period has ended, oldest first.
    static func expiredThreads(_ db: any SQLDatabase, now: Timestamp, limit: Int) async throws -> [(resource: String, thread: String)] {
        try await db.select().columns("resource_id", "id").from("chat_threads")
            .where("expires_at", .lessThanOrEqual, now.milliseconds)
            .where("deleted_at", .is, SQLLiteral.null)
            .orderBy("expires_at").limit(limit)
            .all().map { (try $0.decode(column: "resource_id", as: String.self), try $0.decode(column: "id", as: String.self)) }
    }

    // MARK: Memberships

    static func memberships(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, participant: String? = nil)
        async throws -> [ChatMembershipRecord]
    {
        var query = db.select()
            .columns(
                "participant", "period", "display_name", "metadata", "joined_sequence", "share_history_time", "joined_at",
                "removed_at", "removed_sequence"
            )
            .from("chat_memberships")
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
        if let participant { query = query.where("participant", .equal, participant) }
        return try await query.orderBy("joined_at").orderBy("participant").orderBy("period").all().map { row in
            ChatMembershipRecord(
                participant: try row.decode(column: "participant", as: String.self),
                period: try row.decode(column: "period", as: Int.self),
                displayName: try resource.crypto.openIfPresent(try row.decode(column: "display_name", as: Data?.self), field: displayNameField),
                metadata: try openJSON(try row.decode(column: "metadata", as: Data?.self), resource: resource, field: participantMetadataField),
                joinedSequence: try row.decode(column: "joined_sequence", as: Int64.self),
                shareHistoryTime: try row.decode(column: "share_history_time", as: Int64?.self).map { Timestamp(milliseconds: $0) },
                joinedAt: Timestamp(milliseconds: try row.decode(column: "joined_at", as: Int64.self)),
                removedAt: try row.decode(column: "removed_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
                removedSequence: try row.decode(column: "removed_sequence", as: Int64?.self))
        }
    }

    static func insertMembership(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, membership: ChatMembershipRecord
    ) async throws {
        try await db.insert(into: "chat_memberships")
            .columns(
                "resource_id", "thread_id", "participant", "period", "display_name", "metadata", "joined_sequence",
                "share_history_time", "joined_at"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(thread), SQLBind(membership.participant), SQLBind(membership.period),
                SQLBind(try resource.crypto.sealIfPresent(membership.displayName, field: displayNameField)),
                SQLBind(try sealJSON(membership.metadata, resource: resource, field: participantMetadataField)),
                SQLBind(membership.joinedSequence), SQLBind(membership.shareHistoryTime?.milliseconds),
                SQLBind(membership.joinedAt.milliseconds)
            )
            .run()
    }

    static func endMembership(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, participant: String, at now: Timestamp,
        lastVisibleSequence: Int64
    ) async throws {
        try await db.update("chat_memberships")
            .set("removed_at", to: now.milliseconds)
            .set("removed_sequence", to: lastVisibleSequence)
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .where("participant", .equal, participant).where("removed_at", .is, SQLLiteral.null)
            .run()
    }

    static func updateMembership(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, membership: ChatMembershipRecord
    ) async throws {
        try await db.update("chat_memberships")
            .set("display_name", to: try resource.crypto.sealIfPresent(membership.displayName, field: displayNameField))
            .set("metadata", to: try sealJSON(membership.metadata, resource: resource, field: participantMetadataField))
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .where("participant", .equal, membership.participant).where("period", .equal, membership.period)
            .run()
    }

    static func currentParticipantCount(_ db: any SQLDatabase, resource: ResourceHandle, thread: String) async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("chat_memberships")
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .where("removed_at", .is, SQLLiteral.null)
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    // MARK: Messages

    static let messageColumns = [
        "id", "sequence", "type", "sender", "sender_display_name", "content", "metadata", "created_at", "edited_at",
        "deleted_at", "version",
    ]

    static func insertMessage(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, id: Int64, sequence: Int64,
        message: NewChatMessage, at now: Timestamp
    ) async throws {
        let senderName = try resource.crypto.sealIfPresent(message.senderDisplayName, field: senderNameField)
        let content = try sealJSON(message.content, resource: resource, field: contentField)
        let metadata = try sealJSON(message.metadata, resource: resource, field: messageMetadataField)
        // Every send: written out (see WrittenOutSQL.swift).
        try await db.raw(
            """
            INSERT INTO chat_messages (resource_id, thread_id, id, sequence, type, sender, sender_display_name, content, metadata,
                                       created_at, changed_at, version)
            VALUES (\(bind: resource.storageID), \(bind: thread), \(bind: String(id)), \(bind: sequence), \(bind: message.type),
                    \(bind: message.sender), \(bind: senderName), \(bind: content), \(bind: metadata),
                    \(bind: now.milliseconds), \(bind: now.milliseconds), \(bind: id))
            """
        ).run()
    }

    static func message(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, id: String) async throws
        -> ChatMessageRecord?
    {
        try await db.select().columns(messageColumns).from("chat_messages")
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread).where("id", .equal, id)
            .first().map { try decodeMessage($0, resource: resource) }
    }

    /// The topic the thread had at `sequence`: set by the newest `topicUpdated` message up to it (thread creation
    /// writes the first). `nil` when there is none (a thread from before that message existed).
    static func topic(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, asOf sequence: Int64) async throws -> String? {
        try await db.select().columns(messageColumns).from("chat_messages")
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .where("type", .equal, "topicUpdated").where("sequence", .lessThanOrEqual, sequence)
            .orderBy("sequence", .descending).limit(1)
            .first().flatMap { try decodeMessage($0, resource: resource).content?.topic }
    }

    /// The page of messages `participant` may see, newest first: those after `since` (by last change) and below
    /// `beforeSequence`.
    static func visibleMessages(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, participant: String, since: Timestamp?,
        beforeSequence: Int64?, limit: Int
    ) async throws -> [ChatMessageRecord] {
        var sql: SQLQueryString = """
            SELECT msg.id, msg.sequence, msg.type, msg.sender, msg.sender_display_name, msg.content, msg.metadata,
                   msg.created_at, msg.edited_at, msg.deleted_at, msg.version
            FROM chat_messages msg
            WHERE msg.resource_id = \(bind: resource.storageID) AND msg.thread_id = \(bind: thread)
              AND EXISTS (SELECT 1 FROM chat_memberships m
                          WHERE m.resource_id = msg.resource_id AND m.thread_id = msg.thread_id
                            AND m.participant = \(bind: participant)
                            AND (msg.sequence >= m.joined_sequence
                                 OR (m.share_history_time IS NOT NULL AND msg.created_at >= m.share_history_time))
                            AND (m.removed_sequence IS NULL OR msg.sequence <= m.removed_sequence))
            """
        if let since { sql.appendInterpolation(unsafeRaw: " AND msg.changed_at >= "); sql.appendInterpolation(bind: since.milliseconds) }
        if let beforeSequence { sql.appendInterpolation(unsafeRaw: " AND msg.sequence < "); sql.appendInterpolation(bind: beforeSequence) }
        sql.appendInterpolation(unsafeRaw: " ORDER BY msg.sequence DESC LIMIT ")
        sql.appendInterpolation(bind: limit)
        return try await db.raw(sql).all().map { try decodeMessage($0, resource: resource) }
    }

    static func updateMessage(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, message: ChatMessageRecord, at now: Timestamp)
        async throws
    {
        try await db.update("chat_messages")
            .set("content", to: try sealJSON(message.content, resource: resource, field: contentField))
            .set("metadata", to: try sealJSON(message.metadata, resource: resource, field: messageMetadataField))
            .set("edited_at", to: message.editedAt?.milliseconds)
            .set("changed_at", to: now.milliseconds)
            .set("version", to: message.version)
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .where("id", .equal, message.id)
            .run()
    }

    /// Deletes a message's content for good, keeping a tombstone (id, sequence, times) so lists show `deletedOn`.
    static func eraseMessage(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, id: String, version: Int64, at now: Timestamp)
        async throws
    {
        try await db.update("chat_messages")
            .set("content", to: SQLLiteral.null)
            .set("metadata", to: SQLLiteral.null)
            .set("sender_display_name", to: SQLLiteral.null)
            .set("deleted_at", to: now.milliseconds)
            .set("changed_at", to: now.milliseconds)
            .set("version", to: version)
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread).where("id", .equal, id)
            .run()
    }

    /// What a send needs to know in one read: every membership period of the thread (who, and whether current;
    /// nothing decrypted) and how many text and html messages it had since `since` (the rate window; an index range
    /// read, `chat_messages_sent`).
    static func sendRoster(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, since: Timestamp) async throws
        -> (members: [(participant: String, current: Bool)], recentMessages: Int)
    {
        let rows = try await db.raw(sendRosterQuery(resource: resource.storageID, thread: thread, since: since)).all()
        let members = try rows.map {
            (participant: try $0.decode(column: "participant", as: String.self), current: try $0.decode(column: "removed_at", as: Int64?.self) == nil)
        }
        return (members, try rows.first?.decode(column: "recent", as: Int.self) ?? 0)
    }

    /// When the message was sent whose leaving a full send-rate window lets the next one in: of the `count` text
    /// and html messages sent since `since` (``sendRoster(_:resource:thread:since:)``), the one `limit` places from
    /// the newest. An index range read (`chat_messages_sent`): the cost depends on neither the thread's size nor
    /// the limit.
    static func windowFreedBy(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, since: Timestamp, count: Int, limit: Int
    ) async throws -> Timestamp? {
        guard count >= limit else { return nil }
        return try await db.raw(windowQuery(resource: resource.storageID, thread: thread, since: since, offset: count - limit))
            .first(decodingColumn: "created_at", as: Int64.self).map { Timestamp(milliseconds: $0) }
    }

    /// ``sendRoster(_:resource:thread:since:)``'s statement. Its count reads only `chat_messages_sent`, whose
    /// condition it spells out as literals (a partial index serves a query only where the engine can see that).
    static func sendRosterQuery(resource: String, thread: String, since: Timestamp) -> SQLQueryString {
        """
        SELECT m.participant, m.removed_at,
               (SELECT COUNT(*) FROM chat_messages msg
                WHERE msg.resource_id = \(bind: resource) AND msg.thread_id = \(bind: thread)
                  AND msg.created_at >= \(bind: since.milliseconds) AND msg.type IN ('text', 'html')) AS recent
        FROM chat_memberships m
        WHERE m.resource_id = \(bind: resource) AND m.thread_id = \(bind: thread)
        ORDER BY m.joined_at, m.participant, m.period
        """
    }

    /// ``windowFreedBy(_:resource:thread:since:count:limit:)``'s statement, on the same index.
    static func windowQuery(resource: String, thread: String, since: Timestamp, offset: Int) -> SQLQueryString {
        """
        SELECT created_at FROM chat_messages
        WHERE resource_id = \(bind: resource) AND thread_id = \(bind: thread)
          AND created_at >= \(bind: since.milliseconds) AND type IN ('text', 'html')
        ORDER BY created_at LIMIT 1 OFFSET \(bind: offset)
        """
    }

    // MARK: Read receipts

    static func upsertReadReceipt(
        _ db: any SQLDatabase, resource: ResourceHandle, thread: String, participant: String, messageID: String,
        sequence: Int64, at now: Timestamp
    ) async throws {
        try await db.raw(
            """
            INSERT INTO chat_read_receipts (resource_id, thread_id, participant, message_id, sequence, read_at)
            VALUES (\(bind: resource.storageID), \(bind: thread), \(bind: participant), \(bind: messageID), \(bind: sequence), \(bind: now.milliseconds))
            ON CONFLICT (resource_id, thread_id, participant) DO UPDATE
            SET message_id = excluded.message_id, sequence = excluded.sequence, read_at = excluded.read_at
            WHERE chat_read_receipts.sequence < excluded.sequence
            """
        ).run()
    }

    static func readReceipts(_ db: any SQLDatabase, resource: ResourceHandle, thread: String, skip: Int, limit: Int) async throws
        -> [ChatWire.ReadReceipt]
    {
        try await db.select().columns("participant", "message_id", "read_at").from("chat_read_receipts")
            .where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread)
            .orderBy("read_at", .descending).orderBy("participant")
            .offset(skip).limit(limit)
            .all().map { row in
                ChatWire.ReadReceipt(
                    senderCommunicationIdentifier: CommunicationIdentifierModel(rawID: try row.decode(column: "participant", as: String.self)),
                    chatMessageId: try row.decode(column: "message_id", as: String.self),
                    readOn: Timestamp(milliseconds: try row.decode(column: "read_at", as: Int64.self)).date)
            }
    }

    // MARK: Decoding

    static func decodeThread(_ row: any SQLRow, resource: ResourceHandle) throws -> ChatThreadRecord {
        ChatThreadRecord(
            id: try row.decode(column: "id", as: String.self),
            topic: try resource.crypto.open(try row.decode(column: "topic", as: Data.self), field: topicField),
            metadata: try openJSON(try row.decode(column: "metadata", as: Data?.self), resource: resource, field: threadMetadataField),
            createdBy: try row.decode(column: "created_by", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            deletedAt: try row.decode(column: "deleted_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
            retentionDays: try row.decode(column: "retention_days", as: Int?.self),
            lastSequence: try row.decode(column: "last_sequence", as: Int64.self),
            lastMessageAt: Timestamp(milliseconds: try row.decode(column: "last_message_at", as: Int64.self)))
    }

    static func decodeMessage(_ row: any SQLRow, resource: ResourceHandle) throws -> ChatMessageRecord {
        ChatMessageRecord(
            id: try row.decode(column: "id", as: String.self),
            sequence: try row.decode(column: "sequence", as: Int64.self),
            type: try row.decode(column: "type", as: String.self),
            sender: try row.decode(column: "sender", as: String?.self),
            senderDisplayName: try resource.crypto.openIfPresent(
                try row.decode(column: "sender_display_name", as: Data?.self), field: senderNameField),
            content: try openJSON(try row.decode(column: "content", as: Data?.self), resource: resource, field: contentField),
            metadata: try openJSON(try row.decode(column: "metadata", as: Data?.self), resource: resource, field: messageMetadataField),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            editedAt: try row.decode(column: "edited_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
            deletedAt: try row.decode(column: "deleted_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
            version: try row.decode(column: "version", as: Int64.self))
    }

    static func sealJSON<T: Encodable>(_ value: T?, resource: ResourceHandle, field: PersonalField) throws -> Data? {
        guard let value else { return nil }
        return try resource.crypto.seal(String(decoding: try JSONBody.encoder.encode(value), as: UTF8.self), field: field)
    }

    static func openJSON<T: Decodable>(_ sealed: Data?, resource: ResourceHandle, field: PersonalField) throws -> T? {
        guard let text = try resource.crypto.openIfPresent(sealed, field: field) else { return nil }
        return try JSONBody.decoder.decode(T.self, from: Data(text.utf8))
    }
}
