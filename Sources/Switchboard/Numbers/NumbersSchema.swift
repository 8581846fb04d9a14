import SQLKit

/// What a resource keeps about its phone numbers in its geography's store: the numbers it holds (kept until
/// released, as the seed says), its searches and reservations while they live, and its long-running operations.
/// These are the business's own numbers, not personal data, so they are stored as they are, as JSON documents in
/// the wire's shape beside the columns they are found by.
enum NumbersSchema {
    static let v1 = Migration(14, "phone numbers") { db, _ in
        try await db.create(table: "phone_numbers")
            .column("resource_id", type: .text, .notNull)
            .column("number", type: .text, .notNull)
            .column("sms", type: .text, .notNull)
            .column("document", type: .text, .notNull)
            .column("purchased_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "number")
            .run()
        try await db.create(table: "phone_number_searches")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("country", type: .text, .notNull)
            .column("purchased", type: .int, .notNull)
            .column("document", type: .text, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "phone_number_searches_expiry").on("phone_number_searches").column("expires_at").run()
        try await db.create(table: "phone_number_reservations")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("document", type: .text, .notNull)
            .column("expires_at", type: .bigint, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "phone_number_reservations_expiry").on("phone_number_reservations").column("expires_at").run()
        try await db.create(table: "phone_number_operations")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("document", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "phone_number_operations_created").on("phone_number_operations").column("created_at").run()
    }

    static let migrations = [v1]
    static let tables = ["phone_numbers", "phone_number_searches", "phone_number_reservations", "phone_number_operations"]
}
