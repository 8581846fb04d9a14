import SQLKit

/// The Identity capability's tables in a geography's store.
enum IdentitySchema {
    /// `identities`: one row per communication user. `token_revision` is embedded in every token issued and
    /// bumped to revoke them all; `custom_id` is personal data, sealed, with a blind index for lookups.
    static let v1 = Migration(2, "identities") { db, _ in
        try await db.create(table: "identities")
            .column("resource_id", type: .text, .notNull)
            .column("id", type: .text, .notNull)
            .column("created_at", type: .bigint, .notNull)
            .column("token_revision", type: .bigint, .notNull)
            .column("last_token_issued_at", type: .bigint)
            .column("custom_id", type: .blob)
            .column("custom_id_index", type: .blob)
            .primaryKey("resource_id", "id")
            .run()
        try await db.create(index: "identities_custom_id")
            .unique()
            .on("identities")
            .column("resource_id")
            .column("custom_id_index")
            .run()
    }

    static let migrations = [v1]
    static let tables = ["identities"]
}
