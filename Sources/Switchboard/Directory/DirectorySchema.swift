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
        ])
}
