import SQLKit

/// The outbox: everything that must happen after a change commits — a webhook delivery today, carrier deliveries
/// later — is a row written in the same transaction as the change. Workers on any node claim due rows with a
/// lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), attempt them, and record every attempt.
enum OutboxSchema {
    static let v1 = Migration(5, "outbox") { db, _ in
        try await db.create(table: "outbox")
            .column("id", type: .bigint, .primaryKey(autoIncrement: true))
            .column("resource_id", type: .text, .notNull)
            .column("kind", type: .text, .notNull)
            .column("target", type: .text, .notNull)
            .column("reference", type: .bigint)
            .column("variant", type: .text)
            .column("message_uuid", type: .text, .notNull)
            .column("thread_id", type: .text)
            .column("message_id", type: .text)
            .column("actor", type: .text)
            .column("state", type: .text, .notNull)
            .column("attempts", type: .int, .notNull)
            .column("max_attempts", type: .int, .notNull)
            .column("next_attempt_at", type: .bigint, .notNull)
            .column("lease_until", type: .bigint)
            .column("lease_owner", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .column("completed_at", type: .bigint)
            .column("last_status", type: .int)
            .column("last_error", type: .text)
            .column("payload", type: .blob)
            .run()
        try await db.create(index: "outbox_due").on("outbox").column("state").column("next_attempt_at").run()
        try await db.create(index: "outbox_target").on("outbox").column("resource_id").column("target").column("state").run()
        try await db.create(index: "outbox_message").on("outbox").column("resource_id").column("message_id").run()
        try await db.create(table: "outbox_attempts")
            .column("outbox_id", type: .bigint, .notNull)
            .column("attempt", type: .int, .notNull)
            .column("resource_id", type: .text, .notNull)
            .column("at", type: .bigint, .notNull)
            .column("duration_ms", type: .bigint, .notNull)
            .column("status", type: .int)
            .column("error", type: .text)
            .column("node", type: .text, .notNull)
            .primaryKey("outbox_id", "attempt")
            .run()

        try await db.create(table: "event_subscriptions")
            .column("resource_id", type: .text, .notNull)
            .column("name", type: .text, .notNull)
            .column("endpoint_url", type: .blob, .notNull)
            .column("endpoint_base_url", type: .text, .notNull)
            .column("delivery_schema", type: .text, .notNull)
            .column("included_types", type: .text)
            .column("subject_begins_with", type: .text)
            .column("subject_ends_with", type: .text)
            .column("subject_case_sensitive", type: .int, .notNull)
            .column("max_attempts", type: .int, .notNull)
            .column("ttl_minutes", type: .int, .notNull)
            .column("max_events_per_batch", type: .int, .notNull)
            .column("state", type: .text, .notNull)
            .column("validation_code", type: .text)
            .column("signing_secret", type: .blob, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "name")
            .run()
    }

    static let v2 = Migration(6, "webhook batch size") { db, _ in
        try await db.alter(table: "event_subscriptions").column("preferred_batch_kb", type: .int, .notNull, .default(64)).run()
    }

    static let tables = ["outbox_attempts", "outbox", "event_subscriptions"]
}
