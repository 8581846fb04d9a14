import Foundation
import SQLKit

/// The outbox: everything that must happen after a change commits — a webhook delivery, a carrier submission — is
/// a row written in the same transaction as the change. Workers on any node claim due rows with a lease
/// (`FOR UPDATE SKIP LOCKED` on PostgreSQL), attempt them, and record every attempt.
///
/// A row's routing is generic: its `kind` (which handler delivers it) and `target` (a lane: one webhook
/// subscription, one carrier bind), the `delivery_id` the receiver dedupes on, the blind index of the person it
/// concerns (`subject_index`), what it belongs to (`correlation_scope`, `correlation_item`) and a sealed payload
/// the handler reads. The payload is erased when the row completes; a dead letter keeps the `snapshot` of what it
/// would have sent, if its handler keeps dead letters.
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

        // Before capabilities brought their own migrations, the Events capability's subscriptions table was created
        // here; stores that exist have it from this version, so it stays.
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

    /// Generic routing, first step: the new columns, filled from the chat-shaped ones (a thread and message become
    /// a correlation, the actor a subject index), and dead letters' snapshots moved out of `payload`, which now
    /// holds what a pending row delivers. The Events capability then turns its pending rows' event references into
    /// payloads (its migration 10) before step two drops the old columns.
    static let v3 = Migration(9, "generic outbox routing") { db, context in
        try await db.raw("ALTER TABLE outbox RENAME COLUMN message_uuid TO delivery_id").run()
        for column in ["correlation_scope", "correlation_item"] {
            try await db.alter(table: "outbox").column(column, type: .text).run()
        }
        for column in ["subject_index", "snapshot"] {
            try await db.alter(table: "outbox").column(column, type: .blob).run()
        }
        try await db.update("outbox")
            .set(
                SQLIdentifier("correlation_scope"),
                to: SQLBinaryExpression(left: SQLLiteral.string("chat:"), op: SQLRaw("||"), right: SQLColumn("thread_id"))
            )
            .set(SQLIdentifier("correlation_item"), to: SQLColumn("message_id"))
            .where("thread_id", .isNot, SQLLiteral.null)
            .run()
        let rows = try await db.select().columns("id", "resource_id", "actor", "payload").from("outbox")
            .where { $0.where("actor", .isNot, SQLLiteral.null).orWhere("payload", .isNot, SQLLiteral.null) }
            .all()
        var cryptos: [String: ResourceCrypto?] = [:]
        for row in rows {
            let resourceID = try row.decode(column: "resource_id", as: String.self)
            if cryptos[resourceID] == nil { cryptos[resourceID] = .some(try await context.crypto(forResource: resourceID)) }
            guard case .some(.some(let crypto)) = cryptos[resourceID] else { continue }
            var update = db.update("outbox").set("payload", to: SQLLiteral.null)
            if let actor = try row.decode(column: "actor", as: String?.self) {
                update = update.set("subject_index", to: crypto.subjectIndex(.communicationUser(actor)))
            }
            // Until now a payload was only ever the snapshot of a dead letter (also once redelivered).
            if let sealed = try row.decode(column: "payload", as: Data?.self) {
                let snapshot = try crypto.open(data: sealed, field: Outbox.payloadField)
                update = update.set("snapshot", to: try crypto.seal(data: snapshot, field: Outbox.snapshotField))
            }
            try await update.where("id", .equal, try row.decode(column: "id", as: Int64.self)).run()
        }
    }

    /// Generic routing, second step: the chat- and webhook-shaped columns go.
    static let v4 = Migration(11, "outbox without chat columns") { db, _ in
        try await db.drop(index: "outbox_message").run()
        for column in ["thread_id", "message_id", "actor", "reference", "variant"] {
            try await db.alter(table: "outbox").dropColumn(column).run()
        }
        try await db.create(index: "outbox_correlation").on("outbox").column("resource_id").column("correlation_scope")
            .column("correlation_item").run()
        try await db.create(index: "outbox_subject").on("outbox").column("resource_id").column("subject_index").run()
    }

    /// Deliveries begun, so that one a crash cut short still counts towards the next delivery's count.
    static let v5 = Migration(13, "outbox deliveries begun") { db, _ in
        try await db.alter(table: "outbox").column("started", type: .int, .notNull, .default(0)).run()
        try await db.update("outbox").set("started", to: SQLColumn("attempts")).run()
    }

    /// Attempts whose row was withdrawn stayed behind, and a new row given the withdrawn row's id (SQLite reuses
    /// them) could not record its first attempt. Withdrawals now delete them; this removes those left before.
    static let v6 = Migration(24, "outbox attempts of withdrawn rows") { db, _ in
        try await db.delete(from: "outbox_attempts")
            .where(SQLIdentifier("outbox_id"), .notIn, SQLGroupExpression(db.select().column("id").from("outbox").query)).run()
    }

    static let migrations = [v1, v3, v4, v5, v6]
    static let tables = ["outbox_attempts", "outbox"]
}
