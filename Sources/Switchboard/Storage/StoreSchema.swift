import SQLKit

/// The schema of a geography's store: the platform's own tables (store metadata, the event log, the outbox) and
/// every capability's (``Capability/storeMigrations``), in one list ordered by version. Versions are unique across
/// the store; two capabilities claiming the same one stop the server at start (``Schema``).
public enum StoreSchema {
    static let storeMetadata = Migration(1, "store metadata") { db, _ in
        try await db.create(table: "store_meta")
            .column("key", type: .text, .primaryKey(autoIncrement: false), .notNull)
            .column("value", type: .text, .notNull)
            .run()
    }

    /// The platform's migrations: what every capability builds on.
    static let platformMigrations = [storeMetadata] + EventLogSchema.migrations + OutboxSchema.migrations

    /// The store schema with these capabilities' tables.
    public static func schema(capabilities: [any Capability.Type]) -> Schema {
        Schema(
            name: "store",
            migrations: (platformMigrations + capabilities.flatMap { $0.storeMigrations }).sorted { $0.version < $1.version })
    }

    public static let schema = schema(capabilities: Capabilities.all)

    /// Every table that holds resource data, keyed by a `resource_id` column. Deleting a resource deletes its rows
    /// from each of them.
    public static let resourceTables: [String] = OutboxSchema.tables + EventLogSchema.tables + Capabilities.all.flatMap { $0.resourceTables }
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
