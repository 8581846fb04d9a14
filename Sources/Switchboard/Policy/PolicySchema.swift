import SQLKit

/// The policy's tables in a geography's store. Recipients and consent evidence are personal data: sealed with the
/// resource's data key and found through blind indexes. Programs, senders, rules and settings are the business's
/// own data and stored as they are.
enum PolicySchema {
    static let v1 = Migration(12, "messaging policy") { db, _ in
        try await db.create(table: "messaging_settings")
            .column("resource_id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("mode", type: .text, .notNull)
            .column("conversation_window_seconds", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .run()

        // A program's definition as JSON (its fields change more often than its identity); its senders in their own
        // table, where a sender's uniqueness within the resource is a key.
        try await db.create(table: "messaging_programs")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("definition", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(table: "messaging_senders")
            .column("resource_id", type: .text, .notNull)
            .column("sender_key", type: .text, .notNull)
            .column("channel", type: .text, .notNull)
            .column("program_id", type: .text, .notNull)
            .primaryKey("resource_id", "sender_key")
            .run()
        try await db.create(index: "messaging_senders_program").on("messaging_senders").column("resource_id").column("program_id").run()

        // One consent per (recipient, channel, program), its state kept current; `version` counts its history
        // entries and is bumped under the row's lock by every change, which orders them.
        try await db.create(table: "messaging_consents")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient", type: .blob)
            .column("channel", type: .text, .notNull)
            .column("program_id", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("state", type: .text, .notNull)
            .column("age_verified", type: .int, .notNull)
            .column("third_party", type: .text)
            .column("user_index", type: .blob)
            .column("confirmation_hash", type: .blob)
            .column("granted_at", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .column("version", type: .int, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "messaging_consents_key").unique().on("messaging_consents")
            .column("resource_id").column("recipient_index").column("channel").column("program_id").run()
        try await db.create(index: "messaging_consents_user").on("messaging_consents").column("resource_id").column("user_index").run()
        try await db.create(index: "messaging_consents_confirmation").on("messaging_consents").column("confirmation_hash").run()
        try await db.create(index: "messaging_consents_updated").on("messaging_consents").column("updated_at").run()

        // The append-only history: granted, confirmed, revoked, renewed, minimised. Evidence is sealed; the medium
        // and the times are the minimal proof an erasure keeps.
        try await db.create(table: "messaging_consent_history")
            .column("resource_id", type: .text, .notNull)
            .column("consent_id", type: .text, .notNull)
            .column("seq", type: .int, .notNull)
            .column("action", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .column("kind", type: .text)
            .column("medium", type: .text)
            .column("captured_at", type: .bigint)
            .column("source", type: .text)
            .column("evidence", type: .blob)
            .primaryKey("resource_id", "consent_id", "seq")
            .run()

        try await db.create(table: "messaging_optouts")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient", type: .blob)
            .column("channel", type: .text)
            .column("program_id", type: .text)
            .column("source", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "messaging_optouts_recipient").on("messaging_optouts").column("resource_id").column("recipient_index").run()

        // The last message a recipient sent to one of the resource's senders: a recipient-initiated conversation.
        try await db.create(table: "messaging_conversations")
            .column("resource_id", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("channel", type: .text, .notNull)
            .column("sender_key", type: .text, .notNull)
            .column("last_inbound_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "recipient_index", "channel", "sender_key")
            .run()
        try await db.create(index: "messaging_conversations_age").on("messaging_conversations").column("last_inbound_at").run()

        // A resource's own content rules, and the default rules it disabled (`definition` null, `disabled` 1).
        try await db.create(table: "messaging_content_rules")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("definition", type: .text)
            .column("disabled", type: .int, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()

        // Every decision the gate made for a send: never the content, and the recipient only masked and indexed.
        try await db.create(table: "messaging_decisions")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("decided_at", type: .bigint, .notNull)
            .column("channel", type: .text, .notNull)
            .column("program_id", type: .text)
            .column("sender", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient_mask", type: .text, .notNull)
            .column("code", type: .text)
            .column("rule", type: .text, .notNull)
            .column("mode", type: .text, .notNull)
            .column("operation", type: .text)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "messaging_decisions_time").on("messaging_decisions").column("resource_id").column("decided_at").run()
        try await db.create(index: "messaging_decisions_recipient").on("messaging_decisions").column("resource_id")
            .column("recipient_index").run()
    }

    /// Confirmations are queued per channel (`messaging.confirmation.sms`), so each channel's handler takes only
    /// its own; rows queued before wait under the new kind.
    static let v2 = Migration(16, "confirmation kinds per channel") { db, _ in
        try await db.update("outbox").set("kind", to: SQLRaw("'messaging.confirmation.' || target"))
            .where("kind", .equal, "messaging.confirmation").run()
    }

    static let migrations = [v1, v2]
    static let tables = [
        "messaging_settings", "messaging_programs", "messaging_senders", "messaging_consents", "messaging_consent_history",
        "messaging_optouts", "messaging_conversations", "messaging_content_rules", "messaging_decisions",
    ]
    /// What erasing a person touches.
    static let erasableTables = [
        "messaging_consents", "messaging_consent_history", "messaging_optouts", "messaging_conversations", "messaging_decisions",
    ]
}
