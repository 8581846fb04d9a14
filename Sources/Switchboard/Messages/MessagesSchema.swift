import SQLKit

/// Advanced Messages (WhatsApp) in a geography's store. A message's content lives only in the outbox row that carries
/// it to the carrier (sealed, erased once delivered) and in the sandbox's copy (kept a day); what stays of a message
/// is metadata, with the other party's number sealed and found by a blind index. A channel's secrets are sealed.
enum MessagesSchema {
    static let v1 = Migration(21, "whatsapp") { db, _ in
        // A registered WhatsApp Business channel: the sandbox, or the Cloud API with its phone-number id and sealed
        // secrets (access token, app secret, webhook verify token).
        try await db.create(table: "whatsapp_channels")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("phone_number_id", type: .text)
            .column("access_token", type: .blob)
            .column("app_secret", type: .blob)
            .column("verify_token", type: .blob)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()

        // The templates a channel may send (registered for the sandbox; synced from Meta for the Cloud API, v2).
        try await db.create(table: "whatsapp_templates")
            .column("resource_id", type: .text, .notNull)
            .column("channel_id", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("language", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("content", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "channel_id", "name", "language")
            .run()

        // A message's metadata, never its content.
        try await db.create(table: "whatsapp_messages")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("channel_id", type: .text, .notNull)
            .column("direction", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient", type: .blob, .notNull)
            .column("status", type: .text, .notNull)
            .column("status_details", type: .text)
            .column("carrier_message_id", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "whatsapp_messages_recipient").on("whatsapp_messages").column("resource_id").column("recipient_index").run()
        try await db.create(index: "whatsapp_messages_carrier").on("whatsapp_messages").column("resource_id").column("carrier_message_id").run()
        try await db.create(index: "whatsapp_messages_created").on("whatsapp_messages").column("created_at").run()

        // The last inbound message of each handset on each channel: WhatsApp's 24-hour customer-service window.
        try await db.create(table: "whatsapp_conversations")
            .column("resource_id", type: .text, .notNull)
            .column("channel_id", type: .text, .notNull)
            .column("handset_index", type: .blob, .notNull)
            .column("last_inbound_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "channel_id", "handset_index")
            .run()
        try await db.create(index: "whatsapp_conversations_last").on("whatsapp_conversations").column("last_inbound_at").run()

        // Media a handset sent, for download: the bytes (sealed, sandbox) or the Graph API's media id.
        try await db.create(table: "whatsapp_media")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("channel_id", type: .text, .notNull)
            .column("handset_index", type: .blob, .notNull)
            .column("mime_type", type: .text, .notNull)
            .column("content", type: .blob)
            .column("graph_media_id", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "whatsapp_media_handset").on("whatsapp_media").column("resource_id").column("handset_index").run()
        try await db.create(index: "whatsapp_media_created").on("whatsapp_media").column("created_at").run()

        // The message ids a Repeatability-Request-ID first sent, replayed for that id for a day.
        try await db.create(table: "whatsapp_repeatability")
            .column("resource_id", type: .text, .notNull)
            .column("request_id", type: .text, .notNull)
            .column("message_ids", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "request_id")
            .run()
        try await db.create(index: "whatsapp_repeatability_created").on("whatsapp_repeatability").column("created_at").run()

        // What the sandbox carrier captured and what its handsets sent, content included (sealed), for a day.
        try await db.create(table: "whatsapp_sandbox_messages")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("channel_id", type: .text, .notNull)
            .column("direction", type: .text, .notNull)
            .column("handset_index", type: .blob, .notNull)
            .column("document", type: .blob, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "whatsapp_sandbox_created").on("whatsapp_sandbox_messages").column("resource_id").column("created_at").run()
        try await db.create(index: "whatsapp_sandbox_handset").on("whatsapp_sandbox_messages").column("resource_id").column("handset_index").run()
    }

    /// Template sync from Meta: a Cloud API channel's WhatsApp Business Account and when its templates were last
    /// synced; a synced template carries the id of the sync that wrote it (registered ones have none), so a sync
    /// replaces exactly the previous one's rows.
    static let v2 = Migration(22, "whatsapp template sync") { db, _ in
        try await db.alter(table: "whatsapp_channels").column("business_account_id", type: .text).run()
        try await db.alter(table: "whatsapp_channels").column("templates_synced_at", type: .bigint).run()
        try await db.alter(table: "whatsapp_templates").column("sync_id", type: .text).run()
    }

    static let migrations = [v1, v2]
    static let tables = [
        "whatsapp_channels", "whatsapp_templates", "whatsapp_messages", "whatsapp_conversations", "whatsapp_media", "whatsapp_repeatability",
        "whatsapp_sandbox_messages",
    ]
    /// Where a person's data is: keyed by their number's blind index.
    static let erasableTables = ["whatsapp_messages", "whatsapp_conversations", "whatsapp_media", "whatsapp_sandbox_messages"]
}
