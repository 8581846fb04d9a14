import SQLKit

/// A resource's operational log in its geography's store (the residency document's "Azure Monitor logs"): API
/// operations, authentication failures, deliveries and policy decisions. Entries carry no message content; a caller
/// that is a person is sealed, and every person an entry names is a blind index in `operation_log_subjects`, so
/// entries can be found and purged by identifier. Kept per resource (`operation_log_settings`, 30 days by default).
enum OperationLogSchema {
    static let v1 = Migration(20, "operational logs") { db, _ in
        try await db.create(table: "operation_logs")
            .column("resource_id", type: .text, .notNull)
            // Milliseconds and a random suffix: unique, and in time order.
            .column("id", type: .text, .notNull)
            // api, authentication, delivery, policy.
            .column("category", type: .text, .notNull)
            // A route template (`POST /sms`), an outbox kind (`sms.deliver`), a policy check (`sms.send`).
            .column("operation", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("duration_ms", type: .bigint)
            // accessKey, user or anonymous; the user's id sealed.
            .column("caller_kind", type: .text)
            .column("caller", type: .blob)
            // The person the entry is about (a decision's recipient), sealed; found by its blind index.
            .column("subject", type: .blob)
            // A carrier's answer, a refusal's reason (sealed: a receiving server's reply may name the recipient).
            .column("details", type: .blob)
            .column("request_id", type: .text)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "operation_logs_time").on("operation_logs").column("created_at").run()

        try await db.create(table: "operation_log_subjects")
            .column("resource_id", type: .text, .notNull)
            .column("subject_index", type: .blob, .notNull)
            .column("log_id", type: .text, .notNull)
            .primaryKey("resource_id", "subject_index", "log_id")
            .run()

        try await db.create(table: "operation_log_settings")
            .column("resource_id", type: .text, .primaryKey(autoIncrement: false))
            .column("retention_days", type: .int, .notNull)
            .run()
    }

    static let migrations = [v1]
    static let tables = ["operation_logs", "operation_log_subjects", "operation_log_settings"]
    static let erasableTables = ["operation_logs", "operation_log_subjects"]
}
