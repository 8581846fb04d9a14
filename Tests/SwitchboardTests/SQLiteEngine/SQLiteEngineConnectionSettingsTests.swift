import Foundation
import SQLKit
import SQLiteNIO
import Testing
import VaporCSQLite

@testable import Switchboard

/// How the engine sets up each connection, checked on the connections themselves.
@Suite("SQLite connection settings")
struct SQLiteConnectionSettingsTests {
    /// SQLite 3.5x marks a `WHERE column = ?1 … ORDER BY …` statement for preparing again whenever its parameter is
    /// bound anew, which on a cached statement is every execution: the query planner stability guarantee keeps it
    /// prepared.
    @Test func aCachedStatementIsNotPreparedAgainForEachNewValue() async throws {
        try await withDatabase { database in
            try await database.transaction { db in
                try await db.raw("CREATE TABLE entries (owner TEXT NOT NULL, name TEXT NOT NULL, n INTEGER, PRIMARY KEY (owner, name))").run()
                for index in 0..<30 {
                    try await db.raw("INSERT INTO entries VALUES (\(bind: "owner \(index % 3)"), \(bind: "entry \(index)"), \(bind: index))").run()
                }
            }
            let connections = [database.writer.connection] + database.readers.connections
            // The table's creation expired what was prepared before it, once: counted from here.
            _ = connections.map { Self.reprepares($0, reset: true) }
            for index in 0..<50 {
                let owner = "owner \(index % 3)"
                try await database.transaction { db in
                    _ = try await db.raw("SELECT name FROM entries WHERE owner = \(bind: owner) ORDER BY name").all()
                }
                _ = try await database.read { db in
                    try await db.raw("SELECT name FROM entries WHERE owner = \(bind: owner) AND name > \(bind: "entry 1") ORDER BY n").all()
                }
            }
            #expect(connections.map { Self.reprepares($0) } == connections.map { _ in 0 })
        }
    }

    /// Savepoint journals (one per member of a commit batch) and sorts stay in memory: no temporary file is written
    /// in the writer's turn, and none holds personal data on disk.
    @Test func temporaryStorageIsInMemoryOnEveryConnection() async throws {
        try await withDatabase { database in
            let connections = [database.writer.connection] + database.readers.connections
            for connection in connections {
                let rows = try connection.query("PRAGMA temp_store", [], lease: nil)
                #expect(rows.values.first?.first?.integer == 2)  // MEMORY
            }
        }
    }

    /// How many times SQLite has prepared the connection's statements again (`SQLITE_STMTSTATUS_REPREPARE`), since
    /// the last `reset`.
    static func reprepares(_ connection: SQLiteHandle, reset: Bool = false) -> Int {
        connection.withHandle { db in
            var total: Int32 = 0
            var statement = sqlite_nio_sqlite3_next_stmt(db, nil)
            while let current = statement {
                total += sqlite_nio_sqlite3_stmt_status(current, SQLITE_STMTSTATUS_REPREPARE, reset ? 1 : 0)
                statement = sqlite_nio_sqlite3_next_stmt(db, current)
            }
            return Int(total)
        } ?? -1
    }
}
