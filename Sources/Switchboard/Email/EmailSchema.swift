import SQLKit

/// Email in a geography's store.
///
/// A resource's domains (with their DKIM keys, sealed) and sender usernames are kept until deleted. A send is an
/// operation with one row per recipient (the address sealed, found by its blind index) that keeps metadata —
/// status, the receiving server, the Internet Message-ID, times — for 30 days. The content (subject, bodies,
/// attachments) lives sealed in `email_contents` only while some recipient still waits for delivery ("ephemerally
/// stored for processing"). Suppression lists are kept until removed; a hard bounce's lease only while it runs; the
/// sandbox's captured messages a day.
enum EmailSchema {
    static let v1 = Migration(17, "email") { db, _ in
        try await db.create(table: "email_domains")
            .column("resource_id", type: .text, .notNull)
            .column("domain", type: .text, .notNull)
            // `sandbox` (needs no DNS, sends only to the sandbox) or `custom`.
            .column("kind", type: .text, .notNull)
            .column("ownership_token", type: .text, .notNull)
            // The last verification's findings (JSON), and whether ownership, SPF and DKIM all verified.
            .column("verification", type: .text)
            .column("verified", type: .int, .notNull)
            .column("verified_at", type: .bigint)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "domain")
            .run()

        try await db.create(table: "email_dkim_keys")
            .column("resource_id", type: .text, .notNull)
            .column("domain", type: .text, .notNull)
            .column("selector", type: .text, .notNull)
            .column("private_key", type: .blob, .notNull)
            .column("public_record", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "domain", "selector")
            .run()

        try await db.create(table: "email_senders")
            .column("resource_id", type: .text, .notNull)
            .column("domain", type: .text, .notNull)
            .column("username", type: .text, .notNull)
            .column("display_name", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "domain", "username")
            .run()

        try await db.create(table: "email_operations")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("status", type: .text, .notNull)
            .column("error_code", type: .text)
            .column("error_message", type: .text)
            .column("sender", type: .text, .notNull)
            .column("recipients", type: .int, .notNull)
            // A hash of the request, so that a second request with the same Operation-Id and another body is refused.
            .column("request_hash", type: .blob, .notNull)
            // The messaging program the gate matched: what an unsubscribe by mail opts out of.
            .column("program_id", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .column("finished_at", type: .bigint)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "email_operations_created").on("email_operations").column("created_at").run()

        try await db.create(table: "email_contents")
            .column("resource_id", type: .text, .notNull)
            .column("operation_id", type: .text, .notNull)
            .column("content", type: .blob, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "operation_id")
            .run()
        try await db.create(index: "email_contents_created").on("email_contents").column("created_at").run()

        try await db.create(table: "email_recipients")
            .column("resource_id", type: .text, .notNull)
            .column("operation_id", type: .text, .notNull)
            .column("seq", type: .int, .notNull)
            .column("kind", type: .text, .notNull)
            .column("address_index", type: .blob, .notNull)
            .column("address", type: .blob, .notNull)
            .column("status", type: .text, .notNull)
            .column("status_details", type: .text)
            .column("internet_message_id", type: .text)
            .column("mail_server", type: .text)
            .column("attempts", type: .int, .notNull)
            // The random part of the copy's envelope sender (``EmailBounceAddress``), by which what comes back finds it.
            .column("bounce_token", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .column("finished_at", type: .bigint)
            .primaryKey("resource_id", "operation_id", "seq")
            .run()
        try await db.create(index: "email_recipients_bounce").on("email_recipients").column("resource_id").column("bounce_token").run()
        try await db.create(index: "email_recipients_address").on("email_recipients").column("resource_id").column("address_index").run()
        try await db.create(index: "email_recipients_created").on("email_recipients").column("created_at").run()

        try await db.create(table: "email_suppressions")
            .column("resource_id", type: .text, .notNull)
            .column("domain", type: .text, .notNull)
            .column("address_index", type: .blob, .notNull)
            .column("address", type: .blob, .notNull)
            .column("reason", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "domain", "address_index")
            .run()
        try await db.create(index: "email_suppressions_address").on("email_suppressions").column("resource_id").column("address_index").run()

        try await db.create(table: "email_bounce_leases")
            .column("resource_id", type: .text, .notNull)
            .column("address_index", type: .blob, .notNull)
            .column("bounces", type: .int, .notNull)
            .column("lease_until", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("updated_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "address_index")
            .run()
        try await db.create(index: "email_bounce_leases_until").on("email_bounce_leases").column("lease_until").run()

        try await db.create(table: "email_sandbox_messages")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("operation_id", type: .text, .notNull)
            .column("sender", type: .text, .notNull)
            .column("recipient_index", type: .blob, .notNull)
            .column("recipient", type: .blob, .notNull)
            .column("raw", type: .blob, .notNull)
            .column("size", type: .int, .notNull)
            .column("outcome", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "email_sandbox_created").on("email_sandbox_messages").column("created_at").run()
        try await db.create(index: "email_sandbox_recipient").on("email_sandbox_messages").column("resource_id").column("recipient_index").run()
    }

    static let migrations = [v1]
    static let tables = [
        "email_domains", "email_dkim_keys", "email_senders", "email_operations", "email_contents", "email_recipients", "email_suppressions",
        "email_bounce_leases", "email_sandbox_messages",
    ]
    /// Where a person's address is kept (sealed) or indexed.
    static let erasableTables = ["email_recipients", "email_suppressions", "email_bounce_leases", "email_sandbox_messages"]
}
