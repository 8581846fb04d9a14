import Foundation
import SQLKit

/// One versioned change to a schema. Versions are applied in order, once, and recorded.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let apply: @Sendable (any SQLDatabase, MigrationContext) async throws -> Void

    public init(
        _ version: Int, _ name: String,
        apply: @escaping @Sendable (any SQLDatabase, MigrationContext) async throws -> Void
    ) {
        self.version = version
        self.name = name
        self.apply = apply
    }
}

/// What a migration may need besides the database: the time, and for data migrations that re-seal or re-index
/// personal fields, the encryption of the resource a row belongs to.
public struct MigrationContext: Sendable {
    public let now: Timestamp
    /// Every capability's event projections, for data migrations of what is rendered from the event log.
    public let events: EventCatalog
    let resourceCrypto: @Sendable (String) async throws -> ResourceCrypto?

    public init(
        now: Timestamp, events: EventCatalog = EventCatalog([]),
        resourceCrypto: @escaping @Sendable (String) async throws -> ResourceCrypto? = { _ in nil }
    ) {
        self.now = now
        self.events = events
        self.resourceCrypto = resourceCrypto
    }

    /// The encryption of the resource with this storage id; `nil` when the resource no longer exists (its rows
    /// are the deletion's to remove) or when migrating the directory, which holds no personal data.
    public func crypto(forResource id: String) async throws -> ResourceCrypto? {
        try await resourceCrypto(id)
    }
}

/// A named, ordered list of migrations (the directory schema, the store schema).
public struct Schema: Sendable {
    public let name: String
    public let migrations: [Migration]

    public init(name: String, migrations: [Migration]) {
        precondition(
            zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
            "migrations of \(name) must have increasing, unique versions")
        self.name = name
        self.migrations = migrations
    }
}

/// Brings a database up to a schema's latest version.
///
/// The whole run is one transaction. On PostgreSQL it first takes a transaction-scoped advisory lock, so when
/// several nodes start at once one migrates and the others wait, then find nothing left to do. On SQLite the
/// write transaction itself is the lock.
public enum Migrator {
    public static func migrate(_ database: any Database, to schema: Schema, context: MigrationContext) async throws {
        try await database.transaction { db in
            try await db.lockUntilCommit(key: advisoryLockKey(schema.name))
            try await db.create(table: "schema_migrations")
                .ifNotExists()
                .column("schema_name", type: .text, .notNull)
                .column("version", type: .bigint, .notNull)
                .column("name", type: .text, .notNull)
                .column("applied_at", type: .bigint, .notNull)
                .primaryKey("schema_name", "version")
                .run()
            let applied = try await db.select()
                .column("version")
                .from("schema_migrations")
                .where("schema_name", .equal, schema.name)
                .all(decodingColumn: "version", as: Int.self)
            let known = Set(schema.migrations.map(\.version))
            if let unknown = applied.first(where: { !known.contains($0) }) {
                throw SchemaTooNew(schema: schema.name, version: unknown, location: database.location)
            }
            let done = Set(applied)
            for migration in schema.migrations where !done.contains(migration.version) {
                try await migration.apply(db, context)
                try await db.insert(into: "schema_migrations")
                    .columns("schema_name", "version", "name", "applied_at")
                    .values(
                        SQLBind(schema.name), SQLBind(migration.version), SQLBind(migration.name),
                        SQLBind(context.now.milliseconds)
                    )
                    .run()
            }
        }
    }

    /// A stable 63-bit key for the advisory lock of one schema.
    static func advisoryLockKey(_ schema: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "switchboard.migrations.\(schema)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash & 0x7fff_ffff_ffff_ffff)
    }
}

/// The database was migrated by a newer Switchboard than this one.
public struct SchemaTooNew: Error, CustomStringConvertible, Sendable {
    public let schema: String
    public let version: Int
    public let location: DatabaseLocation
    public var description: String {
        "the \(schema) schema in \(location) has migration \(version), which this version of Switchboard does not know; upgrade Switchboard"
    }
}
