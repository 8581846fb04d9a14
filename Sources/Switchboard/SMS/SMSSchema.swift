import SQLKit

/// SMS in a geography's store. Sent and received messages are processed, not retained: a message's body lives only
/// in the outbox row that carries it to the carrier (sealed, erased once the carrier accepts it) or in the event that
/// carries it to the application (erased once delivered). What stays is metadata — ids, status, segment counts,
/// times — with the other party's number sealed and found by a blind index. The sandbox inbox, which stands in
/// for handsets, keeps what it received for a day.
enum SMSSchema {
    static let v1 = Migration(15, "sms") { db, _ in
        try await db.create(table: "sms_messages")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("direction", type: .text, .notNull)
            .column("sender", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient", type: .blob)
            .column("segments", type: .int, .notNull)
            .column("encoding", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("status_details", type: .text)
            .column("delivery_report", type: .int, .notNull)
            .column("tag", type: .blob)
            .column("report_timeout_seconds", type: .int, .notNull)
            .column("carrier", type: .text)
            .column("segments_succeeded", type: .int, .notNull)
            .column("segments_failed", type: .int, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("submitted_at", type: .bigint)
            .column("finished_at", type: .bigint)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "sms_messages_recipient").on("sms_messages").column("resource_id").column("recipient_index").run()
        try await db.create(index: "sms_messages_created").on("sms_messages").column("created_at").run()
        try await db.create(index: "sms_messages_queue").on("sms_messages").column("resource_id").column("sender").column("status").run()

        // A carrier's ids of the segments it accepted, so its receipts find their message.
        try await db.create(table: "sms_carrier_ids")
            .column("carrier", type: .text, .notNull)
            .column("carrier_message_id", type: .text, .notNull)
            .column("resource_id", type: .text, .notNull)
            .column("message_id", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            // The id read as a hexadecimal and as a decimal number: many SMSCs answer submit_sm in one and receipt in
            // the other, sometimes zero-padded.
            .column("hex_value", type: .bigint)
            .column("decimal_value", type: .bigint)
            .primaryKey("carrier", "carrier_message_id")
            .run()
        try await db.create(index: "sms_carrier_ids_hex").on("sms_carrier_ids").column("carrier").column("hex_value").run()
        try await db.create(index: "sms_carrier_ids_decimal").on("sms_carrier_ids").column("carrier").column("decimal_value").run()
        try await db.create(index: "sms_carrier_ids_message").on("sms_carrier_ids").column("resource_id").column("message_id").run()

        // Per-recipient repeatability: the first result of a request id, sealed (it names the recipient).
        try await db.create(table: "sms_repeatability")
            .column("resource_id", type: .text, .notNull)
            .column("request_id", type: .text, .notNull)
            .column("result", type: .blob, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "request_id")
            .run()
        try await db.create(index: "sms_repeatability_created").on("sms_repeatability").column("created_at").run()

        try await db.create(table: "sms_alphanumeric_senders")
            .column("resource_id", type: .text, .notNull)
            .column("sender_key", type: .text, .notNull)
            .column("sender_id", type: .text, .notNull)
            .column("countries", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "sender_key")
            .run()

        try await db.create(table: "sms_sandbox_messages")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("message_id", type: .text, .notNull)
            .column("direction", type: .text, .notNull)
            .column("sender", type: .text, .notNull)
            .column("handset_index", type: .blob, .notNull)
            .column("handset", type: .blob, .notNull)
            .column("body", type: .blob, .notNull)
            .column("segments", type: .int, .notNull)
            .column("encoding", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "sms_sandbox_created").on("sms_sandbox_messages").column("created_at").run()
    }

    static let migrations = [v1]
    static let tables = ["sms_messages", "sms_carrier_ids", "sms_repeatability", "sms_alphanumeric_senders", "sms_sandbox_messages"]
    /// Where a person's number is kept (sealed) or indexed.
    static let erasableTables = ["sms_messages", "sms_repeatability", "sms_sandbox_messages"]
}
