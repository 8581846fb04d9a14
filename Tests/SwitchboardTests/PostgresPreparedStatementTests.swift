import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// Statements PostgreSQL sees often run prepared on each connection, with their parameters typed as the unnamed path
/// types them, and nothing a prepared statement could break stays broken: a failed session, a table another node
/// altered, a pooler that cannot keep them.
@Suite(.enabled(if: TestEngine.postgresAdminURL != nil, "needs SWITCHBOARD_TEST_POSTGRES_URL"))
struct PostgresPreparedStatementTests {
    /// One connection, so every statement meets the statements its predecessors prepared.
    func withDatabase(_ query: String = "", _ body: (PostgresDatabase, PostgresLocation) async throws -> Void) async throws {
        try await withTemporaryDirectory { directory in
            guard case .postgres(var location) = try await TestEngine.postgres.makeDatabase(named: "prepared", in: directory) else { return }
            if !query.isEmpty {
                location = try PostgresLocation(
                    parsing: "postgres://\(location.username)@\(location.host):\(location.port)/\(location.database)?sslmode=disable&\(query)")
            }
            let database = try await PostgresDatabase(location: location, maximumConnections: 1, logger: .quiet)
            do {
                try await database.transaction { db in
                    try await db.raw(
                        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BYTEA NOT NULL, flag BOOLEAN NOT NULL, n BIGINT, note TEXT)"
                    ).run()
                }
                try await body(database, location)
            } catch {
                await database.shutdown()
                throw error
            }
            await database.shutdown()
        }
    }

    static func insert(_ id: Int, note: String?, in db: any SQLDatabase) async throws {
        try await db.insert(into: "items").columns("id", "name", "data", "flag", "n", "note")
            .values(
                SQLBind(id), SQLBind("item \(id)"), SQLBind(Data([0, UInt8(id % 256), 255])), SQLBind(id % 2 == 0), SQLBind(Int64(id) << 33),
                SQLBind(note)
            )
            .run()
    }

    static func preparedOnConnection(_ database: PostgresDatabase) async throws -> Int {
        try await database.read { db in
            try await db.raw("SELECT count(*) AS n FROM pg_prepared_statements").first(decodingColumn: "n", as: Int.self) ?? 0
        }
    }

    @Test func statementsRunOftenArePreparedAndTypedAsTheUnnamedPathTypesThem() async throws {
        try await withDatabase { database, _ in
            // An Int bound to an INTEGER column, nils, bytes and booleans: a prepared statement whose parameter types
            // the server inferred would take the 8-byte integer for a 4-byte one and fail.
            for id in 1...9 {
                try await database.transaction { db in try await Self.insert(id, note: id % 3 == 0 ? "third" : nil, in: db) }
            }
            for id in 1...9 {
                let row = try #require(
                    try await database.read { db in
                        try await db.select().columns("name", "data", "flag", "n", "note").from("items").where("id", .equal, id).first()
                    })
                #expect(try row.decode(column: "name", as: String.self) == "item \(id)")
                #expect(try row.decode(column: "data", as: Data.self) == Data([0, UInt8(id % 256), 255]))
                #expect(try row.decode(column: "flag", as: Bool.self) == (id % 2 == 0))
                #expect(try row.decode(column: "n", as: Int64.self) == Int64(id) << 33)
                #expect(try row.decode(column: "note", as: String?.self) == (id % 3 == 0 ? "third" : nil))
            }
            let names = try #require(database.preparedStatements)
            // The insert with a nil note, with a text note, and the select.
            #expect(names.count == 3)
            #expect(try await Self.preparedOnConnection(database) == 3)
        }
    }

    @Test func aFailedStatementLeavesItsTextUsableAndItsSessionEndsUnprepared() async throws {
        try await withDatabase { database, _ in
            for id in 1...4 {
                try await database.transaction { db in try await Self.insert(id, note: nil, in: db) }
            }
            // A duplicate key fails its transaction; the text prepared before goes on working.
            await #expect(throws: (any Error).self) {
                try await database.transaction { db in
                    try await Self.insert(5, note: nil, in: db)
                    try await Self.insert(1, note: nil, in: db)
                }
            }
            for id in 5...7 {
                try await database.transaction { db in try await Self.insert(id, note: nil, in: db) }
            }
            // A session whose transaction failed runs the rest unnamed: a text first prepared there would be refused
            // ("current transaction is aborted") and stay unusable on its connection.
            @Sendable func read(_ db: any SQLDatabase) async throws -> String? {
                try await db.select().column("name").from("items").where("id", .equal, 2).first(decodingColumn: "name", as: String.self)
            }
            try await database.transaction { db in
                _ = try? await db.raw("SELECT 1 / 0 AS n").run()
                for _ in 1...4 { _ = try? await read(db) }
            }
            for _ in 1...4 { #expect(try await database.read { db in try await read(db) } == "item 2") }
            let count = try await database.read { db in
                try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("items").first(
                    decodingColumn: "n", as: Int.self)
            }
            #expect(count == 7)
        }
    }

    @Test func aTableAnotherNodeAlteredFailsOneStatementThenItIsPreparedAgain() async throws {
        try await withDatabase { database, location in
            try await database.transaction { db in try await Self.insert(1, note: nil, in: db) }
            func readAll() async throws -> [String] {
                try await database.read { db in
                    try await db.select().column("*").from("items").where("id", .equal, 1).first()?.allColumns ?? []
                }
            }
            for _ in 1...4 { #expect(try await readAll().count == 6) }
            // Another node's migration, on a connection of its own.
            let other = try await PostgresDatabase(location: location, maximumConnections: 1, logger: .quiet)
            try await other.transaction { db in try await db.raw("ALTER TABLE items ADD COLUMN extra TEXT").run() }
            await other.shutdown()
            // The prepared `*` cannot change its columns: that read fails, and the next is prepared anew.
            await #expect(throws: (any Error).self) { try await readAll() }
            for _ in 1...4 { #expect(try await readAll().count == 7) }
        }
    }

    @Test func aLocationThatAsksForNoPreparedStatementsGetsNone() async throws {
        try await withDatabase("prepared_statements=off") { database, location in
            #expect(location.preparedStatements == 0)
            #expect(database.preparedStatements == nil)
            for id in 1...6 {
                try await database.transaction { db in try await Self.insert(id, note: nil, in: db) }
            }
            #expect(try await Self.preparedOnConnection(database) == 0)
        }
        #expect(try PostgresLocation(parsing: "postgres://u@h/d").preparedStatements == 256)
        #expect(try PostgresLocation(parsing: "postgres://u@h/d?prepared_statements=32").preparedStatements == 32)
        for bad in ["-1", "lots", "٣", "20000"] {
            #expect(throws: ConfigurationError.self) { try PostgresLocation(parsing: "postgres://u@h/d?prepared_statements=\(bad)") }
        }
    }
}
