import Foundation
import Logging
import SQLKit

/// Opens and hands out the store of each geography: the configured database, or by default a SQLite file per
/// geography in the data directory, created and migrated on first use.
///
/// A store records the geography it belongs to the first time it is used and refuses to serve any other, so a
/// misconfigured URL cannot put one geography's data into another's database.
public actor StoreRegistry {
    private let configured: [Geography: DatabaseLocation]
    private let defaultDirectory: URL
    private let directory: Directory?
    private let keyring: ResourceKeyring?
    private let clock: any WallClock
    private let logger: Logger
    private var stores: [Geography: Task<any Database, any Error>] = [:]

    /// - Parameters:
    ///   - directory: the directory the stores belong to. A store records it on first use and refuses any other,
    ///     and the directory records which store holds each geography and refuses any other.
    ///   - keyring: the resources' keys, for data migrations of sealed fields.
    public init(
        configured: [Geography: DatabaseLocation], defaultDirectory: URL, directory: Directory? = nil, keyring: ResourceKeyring? = nil,
        clock: any WallClock = SystemClock(), logger: Logger
    ) {
        self.configured = configured
        self.defaultDirectory = defaultDirectory
        self.directory = directory
        self.keyring = keyring
        self.clock = clock
        self.logger = logger
    }

    /// Where the store of `geography` lives.
    public nonisolated func location(of geography: Geography) -> DatabaseLocation {
        configured[geography]
            ?? .sqlite(path: defaultDirectory.appendingPathComponent("\(geography.compactName).sqlite").path)
    }

    /// The store of `geography`, opened and migrated.
    public func store(for geography: Geography) async throws -> any Database {
        if let task = stores[geography] {
            return try await task.value
        }
        let location = location(of: geography)
        let logger = logger
        let directory = directory
        let keyring = keyring
        let context = MigrationContext(now: clock.now, events: Capabilities.eventCatalog) { id in
            try await keyring?.crypto(forResource: id)
        }
        let task = Task<any Database, any Error> {
            let database = try await DatabaseFactory.open(location, logger: logger)
            do {
                try await Migrator.migrate(database, to: StoreSchema.schema, context: context)
                let directoryID = try await directory?.identifier()
                let storeID = try await Self.claim(database, for: geography, directoryID: directoryID)
                try await directory?.bindStore(storeID, for: geography, location: location)
            } catch {
                await database.shutdown()
                throw error
            }
            logger.info("store ready", metadata: ["geography": "\(geography.compactName)", "store": "\(location)"])
            return database
        }
        stores[geography] = task
        do {
            return try await task.value
        } catch {
            stores[geography] = nil
            throw error
        }
    }

    /// The stores opened so far.
    public func openStores() async -> [Geography: any Database] {
        var result: [Geography: any Database] = [:]
        for (geography, task) in stores {
            if let database = try? await task.value { result[geography] = database }
        }
        return result
    }

    public func shutdown() async {
        for database in await openStores().values {
            await database.shutdown()
        }
        stores = [:]
    }

    /// Records `geography` (and the directory) in a new store, with a new store id, or checks the ones recorded;
    /// returns the store's id. Several nodes may open a new store at once: each insert yields to the first writer,
    /// and every node then compares with what was written.
    private static func claim(_ database: any Database, for geography: Geography, directoryID: String?) async throws -> String {
        try await database.transaction { db in
            var claims = [("geography", geography.compactName), ("store_id", UUID().uuidString.lowercased())]
            if let directoryID { claims.append(("directory_id", directoryID)) }
            for (key, value) in claims {
                try await db.insert(into: "store_meta").columns("key", "value").values(SQLBind(key), SQLBind(value))
                    .ignoringConflicts(with: ["key"])
                    .run()
            }
            let rows = try await db.select().columns("key", "value").from("store_meta").all()
            var recorded: [String: String] = [:]
            for row in rows { recorded[try row.decode(column: "key", as: String.self)] = try row.decode(column: "value", as: String.self) }
            guard recorded["geography"] == geography.compactName else {
                throw StoreGeographyMismatch(location: database.location, expected: geography, found: recorded["geography"] ?? "none")
            }
            if let directoryID, recorded["directory_id"] != directoryID {
                throw StoreDirectoryMismatch(location: database.location)
            }
            guard let storeID = recorded["store_id"] else {
                throw StoreGeographyMismatch(location: database.location, expected: geography, found: "none")
            }
            return storeID
        }
    }
}

/// A store that belongs to another deployment's directory.
public struct StoreDirectoryMismatch: Error, CustomStringConvertible, Sendable {
    public let location: DatabaseLocation
    public var description: String {
        "the store \(location) belongs to another directory (another deployment); each deployment needs its own stores"
    }
}

/// Opens a database of either engine.
public enum DatabaseFactory {
    public static func open(_ location: DatabaseLocation, logger: Logger) async throws -> any Database {
        switch location {
        case .sqlite(let path): try await SQLiteDatabase(path: path, logger: logger)
        case .postgres(let postgres): try await PostgresDatabase(location: postgres, logger: logger)
        }
    }
}
