import SQLKit

/// The Chat capability's tables in a geography's store. Topics, display names, message content and metadata are
/// personal data, sealed with the resource's data key.
enum ChatSchema {
    static let v1 = Migration(4, "chat") { db, _ in
        // A thread. `last_sequence` and `last_message_id` are bumped under the row's lock by every message, which
        // serializes the writers of one thread; `creation_key` makes creation idempotent per creator.
        try await db.create(table: "chat_threads")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("topic", type: .blob, .notNull)
            .column("metadata", type: .blob)
            .column("created_by", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("deleted_at", type: .bigint)
            .column("retention_days", type: .int)
            .column("expires_at", type: .bigint)
            .column("last_sequence", type: .bigint, .notNull)
            .column("last_message_id", type: .bigint, .notNull)
            .column("last_message_at", type: .bigint, .notNull)
            .column("creation_key", type: .blob)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "chat_threads_creation").unique().on("chat_threads")
            .column("resource_id").column("creation_key").run()
        try await db.create(index: "chat_threads_expiry").on("chat_threads").column("expires_at").run()

        // Membership periods: a participant removed and added again has two. A period shows the messages from its
        // joining message on (or from `share_history_time` on, when given) up to `removed_sequence`; a current
        // participant has an open period. Sequences, not clocks, bound it, so node clock skew cannot leak a message.
        try await db.create(table: "chat_memberships")
            .column("resource_id", type: .text, .notNull)
            .column("thread_id", type: .text, .notNull)
            .column("participant", type: .text, .notNull)
            .column("period", type: .int, .notNull)
            .column("display_name", type: .blob)
            .column("metadata", type: .blob)
            .column("joined_sequence", type: .bigint, .notNull)
            .column("share_history_time", type: .bigint)
            .column("joined_at", type: .bigint, .notNull)
            .column("removed_at", type: .bigint)
            .column("removed_sequence", type: .bigint)
            .primaryKey("resource_id", "thread_id", "participant", "period")
            .run()
        try await db.create(index: "chat_memberships_participant").on("chat_memberships")
            .column("resource_id").column("participant").run()

        try await db.create(table: "chat_messages")
            .column("resource_id", type: .text, .notNull)
            .column("thread_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("sequence", type: .bigint, .notNull)
            .column("type", type: .text, .notNull)
            .column("sender", type: .text)
            .column("sender_display_name", type: .blob)
            .column("content", type: .blob)
            .column("metadata", type: .blob)
            .column("created_at", type: .bigint, .notNull)
            .column("edited_at", type: .bigint)
            .column("deleted_at", type: .bigint)
            .column("changed_at", type: .bigint, .notNull)
            .column("version", type: .bigint, .notNull)
            .primaryKey("resource_id", "thread_id", "id")
            .run()
        try await db.create(index: "chat_messages_sequence").unique().on("chat_messages")
            .column("resource_id").column("thread_id").column("sequence").run()
        try await db.create(index: "chat_messages_sender").on("chat_messages").column("resource_id").column("sender").run()

        try await db.create(table: "chat_read_receipts")
            .column("resource_id", type: .text, .notNull)
            .column("thread_id", type: .text, .notNull)
            .column("participant", type: .text, .notNull)
            .column("message_id", type: .text, .notNull)
            .column("sequence", type: .bigint, .notNull)
            .column("read_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "thread_id", "participant")
            .run()
    }

    /// The send-rate limit counts a thread's messages of the last seconds through this index, so its cost does not
    /// grow with the thread or with the limit (replaced by ``v3``).
    static let v2 = Migration(7, "chat message times") { db, _ in
        try await db.create(index: "chat_messages_time").on("chat_messages").column("resource_id").column("thread_id").column("created_at")
            .run()
    }

    /// The send-rate count reads only the index: it holds just the messages the limit counts (text and html, not
    /// the thread's system messages) and everything the count reads of them, so a send no longer looks up every
    /// message of the window in the table to learn its type. The queries name the types as literals, which is how
    /// both engines see that the index's condition holds (a bound parameter would hide it).
    static let v3 = Migration(25, "chat send-rate index holds sent messages only") { db, _ in
        try await db.drop(index: "chat_messages_time").run()
        try await db.raw(
            """
            CREATE INDEX chat_messages_sent ON chat_messages (resource_id, thread_id, created_at, type)
            WHERE type IN ('text', 'html')
            """
        ).run()
    }

    static let migrations = [v1, v2, v3]
    static let tables = ["chat_read_receipts", "chat_messages", "chat_memberships", "chat_threads"]
    /// Where chat erases personal data (message content, topics, names) and whatever carried it on: the tables made
    /// unrecoverable after a deletion (``Database/reclaimDeletedRows(in:_:)``).
    static let erasableTables = ["chat_messages", "chat_threads", "chat_memberships", "events", "outbox"]
}
