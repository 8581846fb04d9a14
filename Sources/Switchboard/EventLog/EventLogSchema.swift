import Foundation
import SQLKit

/// The resource event log's tables (see ``EventLog``). Entries are kept for ``EventLog/retention``, and entries
/// are removed with what they belong to (their correlation) or with the person whose content they carry (their
/// subject).
enum EventLogSchema {
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

    /// Generic routing instead of chat's columns: `correlation_scope`/`correlation_item` (a chat thread and message
    /// were `thread_id`/`message_id`) and `subject_index`, the blind index of the person whose action or content
    /// the event carries (the chat actor was stored in clear in `actor`).
    static let v2 = Migration(8, "generic event log routing") { db, context in
        for column in ["correlation_scope", "correlation_item"] {
            try await db.alter(table: "events").column(column, type: .text).run()
        }
        try await db.alter(table: "events").column("subject_index", type: .blob).run()
        try await db.update("events")
            .set(
                SQLIdentifier("correlation_scope"),
                to: SQLBinaryExpression(left: SQLLiteral.string("chat:"), op: SQLRaw("||"), right: SQLColumn("thread_id"))
            )
            .set(SQLIdentifier("correlation_item"), to: SQLColumn("message_id"))
            .where("thread_id", .isNot, SQLLiteral.null)
            .run()
        let actors = try await db.select().columns("resource_id", "id", "actor").from("events").where("actor", .isNot, SQLLiteral.null).all()
        var cryptos: [String: ResourceCrypto?] = [:]
        for row in actors {
            let resourceID = try row.decode(column: "resource_id", as: String.self)
            if cryptos[resourceID] == nil { cryptos[resourceID] = .some(try await context.crypto(forResource: resourceID)) }
            // Rows of a resource that no longer exists are the deletion's to remove; they keep no index.
            guard case .some(.some(let crypto)) = cryptos[resourceID] else { continue }
            try await db.update("events")
                .set("subject_index", to: crypto.subjectIndex(.communicationUser(try row.decode(column: "actor", as: String.self))))
                .where("resource_id", .equal, resourceID).where("id", .equal, try row.decode(column: "id", as: Int64.self))
                .run()
        }
        for index in ["events_thread", "events_message"] {
            try await db.drop(index: index).run()
        }
        for column in ["thread_id", "message_id", "actor"] {
            try await db.alter(table: "events").dropColumn(column).run()
        }
        try await db.create(index: "events_correlation").on("events").column("resource_id").column("correlation_scope")
            .column("correlation_item").run()
        try await db.create(index: "events_subject").on("events").column("resource_id").column("subject_index").run()
    }

    /// Events numbered after their transaction commits where writers commit concurrently (``EventSequencer``):
    /// the sequence pending ids come from and an index of the pending events. Nothing on SQLite, which numbers
    /// events in the appending transaction.
    static let v3 = Migration(23, "events numbered after commit") { db, _ in
        guard db.dialect.hasConcurrentWriters else { return }
        try await db.raw("CREATE SEQUENCE event_pending_ids").run()
        try await db.raw("CREATE INDEX events_pending ON events (resource_id, id) WHERE id < 0").run()
    }

    static let migrations = [v1, v2, v3]
    static let tables = ["events", "event_counters"]
}
