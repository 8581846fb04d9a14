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
    private let logger: Logger
    private var stores: [Geography: Task<any Database, any Error>] = [:]

    public init(configured: [Geography: DatabaseLocation], defaultDirectory: URL, logger: Logger) {
        self.configured = configured
        self.defaultDirectory = defaultDirectory
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
        let task = Task<any Database, any Error> {
            let database = try await DatabaseFactory.open(location, logger: logger)
            do {
                try await Migrator.migrate(database, to: StoreSchema.schema)
                try await Self.claim(database, for: geography)
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

    private static func claim(_ database: any Database, for geography: Geography) async throws {
        try await database.transaction { db in
            let found = try await db.select().column("value").from("store_meta")
                .where("key", .equal, "geography")
                .first(decodingColumn: "value", as: String.self)
            if let found {
                guard found == geography.compactName else {
                    throw StoreGeographyMismatch(location: database.location, expected: geography, found: found)
                }
            } else {
                try await db.insert(into: "store_meta").columns("key", "value")
                    .values(SQLBind("geography"), SQLBind(geography.compactName)).run()
            }
        }
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
