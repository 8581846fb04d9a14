import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// The storage contract, on SQLite and (when the test command provides one) a real PostgreSQL.
@Suite struct StorageTests {
    @Test(arguments: TestEngine.available)
    func migrationsApplyOnceAndRecordTheirVersions(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "migrate", in: directory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            defer { Task { await database.shutdown() } }
            try await Migrator.migrate(database, to: StoreSchema.schema)
            try await Migrator.migrate(database, to: StoreSchema.schema)
            let versions = try await database.read { db in
                try await db.select().column("version").from("schema_migrations").where("schema_name", .equal, "store")
                    .orderBy("version").all(decodingColumn: "version", as: Int.self)
            }
            #expect(versions == StoreSchema.schema.migrations.map(\.version))
            await database.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func nodesStartingAtOnceMigrateWithoutConflict(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "race", in: directory)
            // Four independent connections, as four nodes starting together would have.
            var databases: [any Database] = []
            for _ in 0..<4 { databases.append(try await DatabaseFactory.open(location, logger: .quiet)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for database in databases {
                    group.addTask { try await Migrator.migrate(database, to: StoreSchema.schema) }
                }
                try await group.waitForAll()
            }
            let count = try await databases[0].read { db in
                try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("schema_migrations")
                    .first(decodingColumn: "n", as: Int.self)
            }
            #expect(count == StoreSchema.schema.migrations.count)
            for database in databases { await database.shutdown() }
        }
    }

    @Test(arguments: TestEngine.available)
    func aDatabaseMigratedByANewerVersionIsRefused(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "newer", in: directory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            try await Migrator.migrate(database, to: StoreSchema.schema)
            try await database.transaction { db in
                try await db.insert(into: "schema_migrations").columns("schema_name", "version", "name", "applied_at")
                    .values(SQLBind("store"), SQLBind(999), SQLBind("from the future"), SQLBind(0)).run()
            }
            await #expect(throws: SchemaTooNew.self) { try await Migrator.migrate(database, to: StoreSchema.schema) }
            await database.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func aFailedTransactionLeavesNothingBehind(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "rollback", in: directory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            try await Migrator.migrate(database, to: StoreSchema.schema)
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await database.transaction { db in
                    try await db.insert(into: "store_meta").columns("key", "value").values(SQLBind("a"), SQLBind("1")).run()
                    throw Boom()
                }
            }
            let rows = try await database.read { db in
                try await db.select().column("key").from("store_meta").where("key", .equal, "a").all()
            }
            #expect(rows.isEmpty)
            await database.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func aStoreServesOnlyTheGeographyItWasCreatedFor(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "claimed", in: directory)
            let europe = StoreRegistry(configured: [.europe: location], defaultDirectory: directory, logger: .quiet)
            _ = try await europe.store(for: .europe)
            await europe.shutdown()
            let misconfigured = StoreRegistry(configured: [.unitedStates: location], defaultDirectory: directory, logger: .quiet)
            await #expect(throws: StoreGeographyMismatch.self) { try await misconfigured.store(for: .unitedStates) }
            await misconfigured.shutdown()
        }
    }

    @Test(arguments: TestEngine.available)
    func nodesOpeningANewStoreAtOnceAgreeOnItsClaim(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let directoryLocation = try await engine.makeDatabase(named: "dir-race", in: directory)
            let storeLocation = try await engine.makeDatabase(named: "store-race", in: directory)
            let key = MasterKey.generate()
            // Four nodes: each its own connections to one directory and one new store, all starting together.
            var registries: [StoreRegistry] = []
            var directories: [Directory] = []
            for _ in 0..<4 {
                let directoryDatabase = try await DatabaseFactory.open(directoryLocation, logger: .quiet)
                let node = Directory(database: directoryDatabase)
                directories.append(node)
                registries.append(StoreRegistry(configured: [.europe: storeLocation], defaultDirectory: directory, directory: node, logger: .quiet))
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (node, registry) in zip(directories, registries) {
                    group.addTask {
                        try await node.prepare(masterKey: key)
                        _ = try await registry.store(for: .europe)
                    }
                }
                try await group.waitForAll()
            }
            let ids = try await registries[0].store(for: .europe).read { db in
                try await db.select().column("value").from("store_meta").where("key", .equal, "store_id").all(
                    decodingColumn: "value", as: String.self)
            }
            #expect(ids.count == 1)
            for registry in registries { await registry.shutdown() }
            for node in directories { await node.database.shutdown() }
        }
    }

    @Test(arguments: TestEngine.available)
    func aGeographyHoldingResourcesCannotBeMovedToAnotherStore(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let directoryDatabase = try await DatabaseFactory.open(try await engine.makeDatabase(named: "dir", in: directory), logger: .quiet)
            let node = Directory(database: directoryDatabase)
            let key = MasterKey.generate()
            try await node.prepare(masterKey: key)
            let first = try await engine.makeDatabase(named: "first", in: directory)
            let second = try await engine.makeDatabase(named: "second", in: directory)

            // The first store of Europe holds a resource.
            let stores = StoreRegistry(configured: [.europe: first], defaultDirectory: directory, directory: node, logger: .quiet)
            let administration = ResourceAdministration(directory: node, stores: stores, masterKey: key)
            try await administration.create(name: "eu", geography: .europe)
            await stores.shutdown()

            // A node configured with another store for Europe (a forgotten --store option) is refused.
            let elsewhere = StoreRegistry(configured: [.europe: second], defaultDirectory: directory, directory: node, logger: .quiet)
            await #expect(throws: StoreBindingMismatch.self) { try await elsewhere.store(for: .europe) }
            await elsewhere.shutdown()

            // Once Europe holds no resources, it may move.
            let again = StoreRegistry(configured: [.europe: first], defaultDirectory: directory, directory: node, logger: .quiet)
            try await ResourceAdministration(directory: node, stores: again, masterKey: key).delete(name: "eu")
            await again.shutdown()
            let moved = StoreRegistry(configured: [.europe: second], defaultDirectory: directory, directory: node, logger: .quiet)
            _ = try await moved.store(for: .europe)
            await moved.shutdown()

            // A store another deployment's directory claimed is refused.
            let otherDirectory = Directory(
                database: try await DatabaseFactory.open(try await engine.makeDatabase(named: "other", in: directory), logger: .quiet))
            try await otherDirectory.prepare(masterKey: key)
            let foreign = StoreRegistry(configured: [.europe: second], defaultDirectory: directory, directory: otherDirectory, logger: .quiet)
            await #expect(throws: StoreDirectoryMismatch.self) { try await foreign.store(for: .europe) }
            await foreign.shutdown()
            await otherDirectory.database.shutdown()
            await directoryDatabase.shutdown()
        }
    }

    @Test func twoGeographiesOnOneStoreAreRefusedAtConfiguration() throws {
        let shared = DatabaseLocation.sqlite(path: "/tmp/shared.sqlite")
        let configuration = ServerConfiguration(
            dataDirectory: URL(fileURLWithPath: "/tmp/x"), stores: [.europe: shared, .unitedStates: shared])
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
    }

    @Test func databaseURLsParseAndPrintWithoutPasswords() throws {
        let postgres = try DatabaseLocation(parsing: "postgres://sb:s3cret@db.example:6543/switchboard?sslmode=require")
        guard case .postgres(let location) = postgres else { Issue.record("not postgres"); return }
        #expect(location.host == "db.example")
        #expect(location.port == 6543)
        #expect(location.password == "s3cret")
        #expect(location.tls == .require)
        #expect(!"\(postgres)".contains("s3cret"))
        #expect(try DatabaseLocation(parsing: "sqlite:///var/lib/sb/eu.sqlite") == .sqlite(path: "/var/lib/sb/eu.sqlite"))
        #expect(throws: ConfigurationError.self) { try DatabaseLocation(parsing: "mysql://x") }
    }

    @Test(arguments: TestEngine.available)
    func startingWithAnotherMasterKeyFailsClearly(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "directory", in: directory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            try await Directory(database: database).prepare(masterKey: MasterKey.generate())
            await #expect(throws: MasterKeyMismatch.self) {
                try await Directory(database: database).prepare(masterKey: MasterKey.generate())
            }
            await database.shutdown()
        }
    }
}

@Suite struct TransactionCancellationTests {
    /// A transaction interrupted by task cancellation still ends, so the connection (the only writer, on SQLite)
    /// is usable by the next one.
    @Test(arguments: TestEngine.available)
    func aCancelledTransactionDoesNotPoisonItsConnection(engine: TestEngine) async throws {
        try await withTemporaryDirectory { directory in
            let location = try await engine.makeDatabase(named: "cancel", in: directory)
            let database = try await DatabaseFactory.open(location, logger: .quiet)
            try await Migrator.migrate(database, to: StoreSchema.schema)
            for _ in 0..<5 {
                // The transaction writes, says so, then waits on a clock nobody moves until it is cancelled.
                let (started, signal) = AsyncStream.makeStream(of: Void.self)
                let stopped = ManualClock()
                let task = Task {
                    try await database.transaction { db in
                        try await db.insert(into: "store_meta").columns("key", "value").values(SQLBind(UUID().uuidString), SQLBind("x")).run()
                        signal.yield()
                        try await stopped.sleep(for: .seconds(5))
                    }
                }
                for await _ in started { break }
                task.cancel()
                _ = await task.result
                // The next transaction works and the cancelled one left nothing behind.
                let count = try await database.transaction { db in
                    try await db.select().column("key").from("store_meta").where("value", .equal, "x").all().count
                }
                #expect(count == 0)
            }
            await database.shutdown()
        }
    }
}
