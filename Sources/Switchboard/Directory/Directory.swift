import Foundation
import SQLKit

/// Reads and changes the directory. Every change bumps a revision number in the same transaction, which running
/// servers compare on each request so a change made by the command line takes effect at once.
public struct Directory: Sendable {
    public let database: any Database
    let clock: any WallClock

    public init(database: any Database, clock: any WallClock = SystemClock()) {
        self.database = database
        self.clock = clock
    }

    /// Migrates the directory and checks that `masterKey` is the key it was created with.
    public func prepare(masterKey: MasterKey) async throws {
        try await Migrator.migrate(database, to: DirectorySchema.schema, context: MigrationContext(now: clock.now))
        let check = masterKey.checkValue
        try await database.transaction { db in
            // The first node to start records its key; every node, that one included, then compares with it.
            try await db.update("directory_state").set("master_key_check", to: check)
                .where("id", .equal, 1).where("master_key_check", .is, SQLLiteral.null)
                .run()
            let stored = try await db.select().column("master_key_check").from("directory_state")
                .where("id", .equal, 1)
                .first(decodingColumn: "master_key_check", as: Data?.self)
            guard case .some(.some(let value)) = stored, value == check else {
                throw MasterKeyMismatch(location: database.location)
            }
        }
    }

    /// This directory's id: stores record the directory they belong to, so a store is never shared by two
    /// deployments (their resources' rows would be each other's strangers).
    public func identifier() async throws -> String {
        try await database.transaction { db in
            try await db.update("directory_state").set("directory_id", to: UUID().uuidString.lowercased())
                .where("id", .equal, 1).where("directory_id", .is, SQLLiteral.null)
                .run()
            guard
                let id = try await db.select().column("directory_id").from("directory_state").where("id", .equal, 1)
                    .first(decodingColumn: "directory_id", as: String?.self) ?? nil
            else { throw DirectoryCorrupt(detail: "it has no id") }
            return id
        }
    }

    /// Records that `storeID` holds `geography`'s data, or checks that it is the store recorded. A geography moves
    /// to another store only while it holds no resources; otherwise a node configured with another store for it
    /// (a missing `--store` option, a mistyped URL) is refused rather than allowed to split its data.
    public func bindStore(_ storeID: String, for geography: Geography, location: DatabaseLocation) async throws {
        let now = clock.now
        try await write { db in
            let bound = try await db.select().columns("store_id", "location").from("geography_stores")
                .where("geography", .equal, geography.compactName).first()
            guard let bound else {
                try await db.insert(into: "geography_stores").columns("geography", "store_id", "location", "bound_at")
                    .values(
                        SQLBind(geography.compactName), SQLBind(storeID), SQLBind(location.description),
                        SQLBind(now.milliseconds)
                    )
                    .run()
                return
            }
            let boundID = try bound.decode(column: "store_id", as: String.self)
            guard boundID != storeID else { return }
            let resources =
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("resources")
                .where("geography", .equal, geography.compactName)
                .first(decodingColumn: "n", as: Int.self) ?? 0
            guard resources == 0 else {
                throw StoreBindingMismatch(
                    geography: geography, configured: location, bound: try bound.decode(column: "location", as: String.self))
            }
            try await db.update("geography_stores").set("store_id", to: storeID).set("location", to: location.description)
                .set("bound_at", to: now.milliseconds)
                .where("geography", .equal, geography.compactName).run()
        }
    }

    /// The revision of the directory; it changes whenever a resource or a key changes.
    public func revision() async throws -> Int64 {
        try await database.read { db in
            // Read on every API request: written out (see WrittenOutSQL.swift).
            try await db.raw("SELECT revision FROM directory_state WHERE id = 1").first(decodingColumn: "revision", as: Int64.self) ?? 0
        }
    }

    public func record(named name: String) async throws -> ResourceRecord? {
        try await database.read { db in
            try await db.select().columns(Self.columns).from("resources").where("name", .equal, name)
                .first().map(Self.decode)
        }
    }

    public func record(id: UUID) async throws -> ResourceRecord? {
        try await database.read { db in
            try await db.select().columns(Self.columns).from("resources")
                .where("id", .equal, id.uuidString.lowercased())
                .first().map(Self.decode)
        }
    }

    public func records() async throws -> [ResourceRecord] {
        try await database.read { db in
            try await db.select().columns(Self.columns).from("resources").orderBy("name").all().map(Self.decode)
        }
    }

    /// Adds a resource; fails if the name is taken.
    public func insert(_ record: ResourceRecord) async throws {
        try await write { db in
            let taken =
                try await db.select().column("id").from("resources").where("name", .equal, record.name)
                .first() != nil
            if taken { throw ResourceAdministrationError.nameTaken(record.name) }
            try await db.insert(into: "resources")
                .columns(Self.columns)
                .values(
                    SQLBind(record.id.uuidString.lowercased()), SQLBind(record.name),
                    SQLBind(record.geography.compactName), SQLBind(record.state.rawValue),
                    SQLBind(record.createdAt.milliseconds), SQLBind(record.sealedPrimaryKey),
                    SQLBind(record.sealedSecondaryKey), SQLBind(record.sealedDataKey), SQLBind(record.sealedTokenKey)
                )
                .run()
            try await Self.bumpRevision(db)
        }
    }

    /// Replaces one access key.
    public func replaceAccessKey(of id: UUID, slot: AccessKeySlot, with sealed: Data) async throws {
        try await write { db in
            try await db.update("resources").set(SQLIdentifier(slot.column), to: SQLBind(sealed))
                .where("id", .equal, id.uuidString.lowercased()).run()
            try await Self.bumpRevision(db)
        }
    }

    public func setState(of id: UUID, to state: ResourceRecord.State) async throws {
        try await write { db in
            try await db.update("resources").set("state", to: state.rawValue)
                .where("id", .equal, id.uuidString.lowercased()).run()
            try await Self.bumpRevision(db)
        }
    }

    /// Removes a resource and with it the only copy of its sealed data key; its id is kept for an hour (see
    /// ``recentlyDeleted(now:)``).
    public func remove(id: UUID) async throws {
        let now = clock.now
        try await write { db in
            let text = id.uuidString.lowercased()
            try await db.delete(from: "resources").where("id", .equal, text).run()
            try await NumberInventory.releaseAll(of: text, in: db)
            try await db.insert(into: "deleted_resources").columns("id", "deleted_at")
                .values(SQLBind(text), SQLBind(now.milliseconds))
                .ignoringConflicts(with: ["id"]).run()
            try await Self.bumpRevision(db)
        }
        // The row held the only copy of the resource's sealed data key.
        try await database.reclaimDeletedRows(in: ["resources"], .now)
    }

    /// How long the id of a deleted resource is kept: far longer than any request that was running at its deletion.
    public static let deletedResourceMemory: Duration = .seconds(3600)

    /// The ids of resources deleted in the last hour; older ones are forgotten.
    public func recentlyDeleted() async throws -> [String] {
        let cutoff = clock.now.subtracting(Self.deletedResourceMemory).milliseconds
        if try await database.read({ db in
            try await db.select().column("id").from("deleted_resources").where("deleted_at", .lessThan, cutoff).limit(1).first() != nil
        }) {
            try await database.transaction { db in
                try await db.delete(from: "deleted_resources").where("deleted_at", .lessThan, cutoff).run()
            }
        }
        return try await database.read { db in
            try await db.select().column("id").from("deleted_resources").all(decodingColumn: "id", as: String.self)
        }
    }

    /// Whether the first-start set-up (the `dev` resource) has run on this directory.
    public func isBootstrapped() async throws -> Bool {
        try await database.read { db in
            try await db.select().column("bootstrapped").from("directory_state").where("id", .equal, 1)
                .first(decodingColumn: "bootstrapped", as: Int.self) == 1
        }
    }

    public func markBootstrapped() async throws {
        try await write { db in
            try await db.update("directory_state").set("bootstrapped", to: 1).where("id", .equal, 1).run()
        }
    }

    /// Runs a change of the directory. On PostgreSQL the change first takes the directory's advisory lock, so
    /// nodes and commands changing it at once are serialized (SQLite's single writer already is).
    func write<T: Sendable>(_ body: @Sendable (any SQLDatabase) async throws -> T) async throws -> T {
        try await database.transaction { db in
            try await db.lockUntilCommit(key: Self.writeLockKey)
            return try await body(db)
        }
    }

    static let writeLockKey = Migrator.advisoryLockKey("directory-writes")

    static func bumpRevision(_ db: any SQLDatabase) async throws {
        try await db.update("directory_state").set(SQLIdentifier("revision"), to: SQLRaw("revision + 1")).where("id", .equal, 1).run()
    }

    static let columns = [
        "id", "name", "geography", "state", "created_at", "primary_key", "secondary_key", "data_key", "token_key",
    ]

    static func decode(_ row: any SQLRow) throws -> ResourceRecord {
        let id = try row.decode(column: "id", as: String.self)
        let geography = try row.decode(column: "geography", as: String.self)
        let state = try row.decode(column: "state", as: String.self)
        guard let uuid = UUID(uuidString: id), let geo = Geography(rawValue: geography),
            let state = ResourceRecord.State(rawValue: state)
        else {
            throw DirectoryCorrupt(detail: "resource \(id) has an unreadable id, geography or state")
        }
        return ResourceRecord(
            id: uuid,
            name: try row.decode(column: "name", as: String.self),
            geography: geo,
            state: state,
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            sealedPrimaryKey: try row.decode(column: "primary_key", as: Data.self),
            sealedSecondaryKey: try row.decode(column: "secondary_key", as: Data.self),
            sealedDataKey: try row.decode(column: "data_key", as: Data.self),
            sealedTokenKey: try row.decode(column: "token_key", as: Data.self))
    }
}

/// The directory was created with another master key.
public struct MasterKeyMismatch: Error, CustomStringConvertible, Sendable {
    public let location: DatabaseLocation
    public var description: String {
        "the directory \(location) was created with a different master key; start with the master key it was created with"
    }
}

/// A directory row that cannot be read.
public struct DirectoryCorrupt: Error, CustomStringConvertible, Sendable {
    public let detail: String
    public var description: String { "the directory is damaged: \(detail)" }
}

/// A node was configured with a different store for a geography than the one holding its data.
public struct StoreBindingMismatch: Error, CustomStringConvertible, Sendable {
    public let geography: Geography
    public let configured: DatabaseLocation
    public let bound: String
    public var description: String {
        "the data of \(geography.displayName) is in the store \(bound), but this node is configured with \(configured), a different "
            + "store; give every node and command the same --store options (a geography's store can change only while it holds no resources)"
    }
}
