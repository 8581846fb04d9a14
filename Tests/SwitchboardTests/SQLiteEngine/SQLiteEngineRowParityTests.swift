import Foundation
import Logging
import SQLKit
import SQLiteKit
import SQLiteNIO
import Testing

@testable import Switchboard

/// Rows and errors must be indistinguishable from sqlite-kit's, since the code above the store was written against it.
@Suite("Parity with sqlite-kit")
struct RowParityTests {
    struct Values: Codable, Equatable {
        var i: Int64?
        var s: String?
        var d: Data?
        var b: Bool?
        var f: Double?
    }

    /// Each column decoded as each type, or the error's type when decoding fails.
    static func decodings(of row: any SQLRow) -> [String] {
        func attempt<T: Decodable>(_ column: String, _ type: T.Type) -> String {
            do { return "\(try row.decode(column: column, as: T.self))" } catch { return "error: \(Swift.type(of: error))" }
        }
        return row.allColumns.flatMap { column in
            [
                attempt(column, Int64.self), attempt(column, Int.self), attempt(column, String.self), attempt(column, Data.self),
                attempt(column, Bool.self), attempt(column, Double.self), attempt(column, Int64?.self), attempt(column, String?.self),
                attempt(column, Data?.self), attempt(column, Bool?.self), attempt(column, Double?.self),
                "\((try? row.decodeNil(column: column)) ?? false)", "\(row.contains(column: column))",
            ]
        } + [row.allColumns.joined(separator: ","), attempt("missing", Int?.self)]
    }

    @Test func rowsDecodeAsThroughSQLiteKit() async throws {
        try await withDatabase { database in
            let rows = [
                Values(i: Int64.max, s: "héllo ✓", d: Data([0, 1, 2, 255]), b: true, f: 3.25),
                Values(i: -7, s: "", d: Data(), b: false, f: -0.5),
                Values(i: nil, s: nil, d: nil, b: nil, f: nil),
            ]
            try await database.transaction { db in
                try await db.raw("CREATE TABLE v (n INTEGER PRIMARY KEY, i INTEGER, s TEXT, d BLOB, b BOOLEAN, f REAL)").run()
                for (n, values) in rows.enumerated() {
                    try await db.insert(into: "v").columns("n", "i", "s", "d", "b", "f")
                        .values(SQLBind(n), SQLBind(values.i), SQLBind(values.s), SQLBind(values.d), SQLBind(values.b), SQLBind(values.f))
                        .run()
                }
            }
            let query = "SELECT i, s, d, b, f, i AS s2, s AS i2, 1.5 AS f2, NULL AS empty FROM v ORDER BY n"
            let ours = try await database.read { try await $0.raw(SQLQueryString(query)).all() }
            let ourModels = try await database.read {
                try await $0.select().columns("i", "s", "d", "b", "f").from("v").orderBy("n").all(decoding: Values.self)
            }

            let kit = try await SQLiteConnection.open(storage: .file(path: database.path))
            let theirs = try await kit.sql().raw(SQLQueryString(query)).all()
            let theirModels = try await kit.sql().select().columns("i", "s", "d", "b", "f").from("v").orderBy("n").all(decoding: Values.self)
            try await kit.close()

            #expect(ours.map(Self.decodings) == theirs.map(Self.decodings))
            #expect(ourModels == rows)
            #expect(theirModels == rows)
        }
    }

    @Test func errorsMatchSQLiteKit() async throws {
        try await withDatabase { database in
            try await database.transaction { try await $0.insertItem("taken") }
            let kit = try await SQLiteConnection.open(storage: .file(path: database.path))
            let theirs = await #expect(throws: SQLiteError.self) { try await kit.sql().insertItem("taken") }
            let theirSyntax = await #expect(throws: SQLiteError.self) { try await kit.sql().raw("SELEC 1").run() }
            try await kit.close()
            let ours = await #expect(throws: SQLiteError.self) { try await database.transaction { try await $0.insertItem("taken") } }
            let ourSyntax = await #expect(throws: SQLiteError.self) { try await database.read { try await $0.raw("SELEC 1").run() } }

            #expect(ours?.reason == .constraintUniqueFailed)
            #expect(ours?.reason == theirs?.reason)
            #expect(ours?.message == theirs?.message)
            #expect(ourSyntax?.reason == theirSyntax?.reason)
            #expect(ourSyntax?.message == theirSyntax?.message)
        }
    }

    @Test func returningAndVersionWork() async throws {
        try await withDatabase { database in
            let id = try await database.transaction { db in
                try await db.insert(into: "items").columns("name").values(SQLBind("r")).returning("id").first()?.decode(column: "id", as: Int.self)
            }
            #expect(id == 1)
            try await database.read { db in
                #expect(db.version?.stringValue == SQLiteConnection.libraryVersionString())
                #expect(db.dialect.supportsReturning)
            }
        }
    }
}
