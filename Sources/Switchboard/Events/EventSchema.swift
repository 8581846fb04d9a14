import SQLKit

/// The resource event log: every event a capability raises (a chat message sent, a participant added, …) is
/// appended here in the same transaction as the change that caused it. Real-time sessions replay and follow it;
/// webhook delivery reads it. Entries are kept for a day, and content-bearing entries are removed with the
/// content they carry (a deleted message takes its events with it).
enum EventSchema {
    static let v1 = Migration(3, "event log") { db, _ in
        try await db.create(table: "event_counters")
            .column("resource_id", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("last_id", type: .bigint, .notNull)
            .run()
        try await db.create(table: "events")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .bigint, .notNull)
            .column("type", type: .text, .notNull)
            .column("thread_id", type: .text)
            .column("message_id", type: .text)
            .column("actor", type: .text)
            .column("recipients", type: .text, .notNull)
            .column("data", type: .blob, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "events_thread").on("events").column("resource_id").column("thread_id").column("id").run()
        try await db.create(index: "events_message").on("events").column("resource_id").column("message_id").run()
        try await db.create(index: "events_created").on("events").column("created_at").run()
    }

    static let tables = ["events", "event_counters"]
}
