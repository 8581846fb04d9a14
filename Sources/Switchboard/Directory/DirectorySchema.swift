import SQLKit

/// The directory: which resources exist, in which geography, and their keys sealed by the master key.
/// It holds no personal data, so it may live anywhere; each resource's data lives in its geography's store.
enum DirectorySchema {
    static let schema = Schema(
        name: "directory",
        migrations: [
            Migration(1, "resources") { db, _ in
                try await db.create(table: "directory_state")
                    .column("id", type: .int, .primaryKey(autoIncrement: false), .notNull)
                    .column("revision", type: .bigint, .notNull)
                    .column("bootstrapped", type: .int, .notNull)
                    .column("master_key_check", type: .blob)
                    .run()
                try await db.insert(into: "directory_state")
                    .columns("id", "revision", "bootstrapped")
                    .values(SQLBind(1), SQLBind(0), SQLBind(0))
                    .run()
                try await db.create(table: "resources")
                    .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("name", type: .text, .notNull, .unique)
                    .column("geography", type: .text, .notNull)
                    .column("state", type: .text, .notNull)
                    .column("created_at", type: .bigint, .notNull)
                    .column("primary_key", type: .blob, .notNull)
                    .column("secondary_key", type: .blob, .notNull)
                    .column("data_key", type: .blob, .notNull)
                    .column("token_key", type: .blob, .notNull)
                    .run()
            },
            Migration(2, "store bindings") { db, _ in
                // Which store holds each geography's data, so that no node can put a geography's data anywhere else.
                try await db.create(table: "geography_stores")
                    .column("geography", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("store_id", type: .text, .notNull)
                    .column("location", type: .text, .notNull)
                    .column("bound_at", type: .bigint, .notNull)
                    .run()
                try await db.alter(table: "directory_state").column("directory_id", type: .text).run()
            },
            Migration(3, "deleted resources") { db, _ in
                // Ids of resources deleted in the last hour, so maintenance can remove rows a request still running
                // at the deletion wrote after it, without scanning the stores for unknown ids.
                try await db.create(table: "deleted_resources")
                    .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("deleted_at", type: .bigint, .notNull)
                    .run()
            },
            Migration(4, "phone number inventory") { db, _ in
                // Every phone number a resource holds or may be handed, deployment-wide, so that a number belongs to
                // one resource at a time whatever geography the resource lives in. An operator's numbers (held at a
                // carrier) stay here when released; a sandbox number has a row only while a resource holds it or a
                // search or reservation has set it aside. The numbers are the operator's own, not personal data.
                try await db.create(table: "phone_number_inventory")
                    .column("number", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("country", type: .text, .notNull)
                    .column("type", type: .text, .notNull)
                    .column("source", type: .text, .notNull)
                    .column("carrier", type: .text)
                    .column("resource_id", type: .text)
                    .column("hold_key", type: .text)
                    .column("hold_resource", type: .text)
                    .column("held_until", type: .bigint)
                    .column("added_at", type: .bigint, .notNull)
                    .run()
                try await db.create(index: "phone_number_inventory_offer").on("phone_number_inventory")
                    .column("country").column("type").column("source").run()
                try await db.create(index: "phone_number_inventory_holder").on("phone_number_inventory").column("resource_id").run()
                try await db.create(index: "phone_number_inventory_hold").on("phone_number_inventory").column("hold_key").run()
            },
            Migration(5, "console sign-in grants") { db, _ in
                // The ids of console sign-in links already used, until they expire: a link signs in once, on
                // whichever node it is opened. The links themselves are signed, not stored.
                try await db.create(table: "console_redeemed_grants")
                    .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("expires_at", type: .bigint, .notNull)
                    .run()
            },
            Migration(6, "console signed-out sessions") { db, _ in
                // Sessions signed out before they expired: their cookie (signed, so valid until it expires) is refused
                // on every node, even if it was copied.
                try await db.create(table: "console_revoked_sessions")
                    .column("id", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("expires_at", type: .bigint, .notNull)
                    .run()
            },
        ])
}
