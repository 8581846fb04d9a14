import SQLKit

/// The schema of a geography's store: every table that holds a resource's data, in one ordered list of
/// migrations. Each capability contributes its migrations here, so a newcomer finds the whole store in one place.
public enum StoreSchema {
    public static let schema = Schema(
        name: "store",
        migrations: [
            Migration(1, "store metadata") { db, _ in
                try await db.create(table: "store_meta")
                    .column("key", type: .text, .primaryKey(autoIncrement: false), .notNull)
                    .column("value", type: .text, .notNull)
                    .run()
            },
            IdentitySchema.v1,
            EventSchema.v1,
            ChatSchema.v1,
            OutboxSchema.v1,
            OutboxSchema.v2,
            ChatSchema.v2,
        ])

    /// Every table that holds resource data, keyed by a `resource_id` column. Deleting a resource deletes its rows
    /// from each of them.
    public static let resourceTables: [String] = OutboxSchema.tables + ChatSchema.tables + EventSchema.tables + IdentitySchema.tables
}

/// A store opened for a different geography than it was created for.
public struct StoreGeographyMismatch: Error, CustomStringConvertible, Sendable {
    public let location: DatabaseLocation
    public let expected: Geography
    public let found: String
    public var description: String {
        "the store \(location) belongs to geography '\(found)', not '\(expected.compactName)'; each geography needs its own store"
    }
}
