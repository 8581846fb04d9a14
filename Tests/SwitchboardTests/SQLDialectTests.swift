import Foundation
import PostgresKit
import SQLKit
import SQLiteKit
import Testing

@testable import Switchboard

/// What the engines are sent where they differ: asked of the dialect inside an expression, never branched on at a
/// call site. Checked as text, without a database.
@Suite struct SQLDialectTests {
    let postgres = DialectDatabase(PostgresDialect())
    let sqlite = DialectDatabase(SQLiteDialect())

    @Test func skipLockedIsWrittenOnlyWhereRowsCanBeLocked() {
        #expect(postgres.sql(SQLSkipLocked()) == "FOR UPDATE SKIP LOCKED")
        #expect(sqlite.sql(SQLSkipLocked()) == "")
    }

    @Test func aClaimSkipsRowsOtherNodesHoldOnPostgreSQLAndIsOneStatementOnBoth() {
        let lanes: Set<OutboxLane> = [OutboxLane(resourceID: "r", kind: "webhook", target: "a")]
        for (database, skips) in [(postgres, true), (sqlite, false)] {
            let sql = database.sql(
                Outbox.claimStatement(in: database, owner: "n", limit: 5, now: Timestamp(milliseconds: 0), lease: .seconds(60), excluding: lanes)
                    .query)
            #expect(sql.hasPrefix(#"UPDATE "outbox" SET "lease_until" = "#), "\(sql)")
            #expect(sql.contains("SKIP LOCKED") == skips, "\(sql)")
            #expect(sql.contains(#"NOT ("resource_id" = "#), "\(sql)")
            #expect(sql.contains(#"RETURNING "id", "resource_id""#), "\(sql)")
        }
    }

    @Test func advisoryLocksAndNotificationsAreSentOnlyToPostgreSQL() async throws {
        try await postgres.lockUntilCommit(key: 42)
        try await postgres.notifyOnCommit(channel: "c", payload: "p")
        #expect(postgres.statements == ["SELECT pg_advisory_xact_lock($1)", "SELECT pg_notify($1, $2)"])
        try await sqlite.lockUntilCommit(key: 42)
        try await sqlite.notifyOnCommit(channel: "c", payload: "p")
        #expect(sqlite.statements.isEmpty, "SQLite's single writer is the lock, and it has no listeners")
    }

    @Test func theEventCounterIsBumpedWithOneUpsertOnBothEngines() {
        for database in [postgres, sqlite] {
            let sql = database.sql(
                database.insert(into: "event_counters").columns("resource_id", "last_id").values(SQLBind("r"), SQLBind(Int64(1)))
                    .onConflict(with: ["resource_id"]) {
                        $0.set(
                            SQLIdentifier("last_id"), to: SQLBinaryExpression(SQLColumn("last_id", table: "event_counters"), .add, SQLBind(Int64(1))))
                    }
                    .returning("last_id").query)
            #expect(sql.contains(#"ON CONFLICT ("resource_id") DO UPDATE SET "last_id" = "event_counters"."last_id" + "#), "\(sql)")
        }
    }
}
