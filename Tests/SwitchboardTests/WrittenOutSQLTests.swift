import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// The written-out multi-row insert: the values each engine stores are the builder's, and rows past one statement's
/// share of the engines' limit on binds go in further statements.
@Suite struct WrittenOutSQLTests {
    @Test(arguments: TestEngine.available)
    func rowsAreInsertedWithTheirValuesAndNullsAcrossAsManyStatementsAsTheBindsNeed(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let count = 25_000  // three columns: 10,000 rows a statement
            try await resource.store.transaction { db in
                let blob = db.dialect.name == "postgresql" ? "BYTEA" : "BLOB"
                try await db.raw("CREATE TABLE written_out (n BIGINT NOT NULL, label TEXT, blob \(unsafeRaw: blob))").run()
                let recording = RecordingDatabase(db)
                var rows: [[any Encodable & Sendable]] = []
                for n in 0..<count {
                    let label: String? = n % 2 == 0 ? "even \(n)" : nil
                    let blob: Data? = n % 3 == 0 ? Data([UInt8(n % 256), 0, 255]) : nil
                    rows.append([Int64(n), label, blob])
                }
                try await recording.insertRows(into: "written_out", columns: ["n", "label", "blob"], rows)
                #expect(recording.statements.count == 3)
                try await db.insertRows(into: "written_out", columns: ["n", "label", "blob"], [])
            }
            let rows = try await resource.store.read { db in
                try await db.raw("SELECT n, label, blob FROM written_out ORDER BY n").all().map { row in
                    (
                        try row.decode(column: "n", as: Int64.self), try row.decode(column: "label", as: String?.self),
                        try row.decode(column: "blob", as: Data?.self)
                    )
                }
            }
            #expect(rows.count == count)
            for (n, label, blob) in [rows[0], rows[1], rows[3], rows[24_999]] {
                #expect(label == (n % 2 == 0 ? "even \(n)" : nil))
                #expect(blob == (n % 3 == 0 ? Data([UInt8(n % 256), 0, 255]) : nil))
            }
        }
    }
}
