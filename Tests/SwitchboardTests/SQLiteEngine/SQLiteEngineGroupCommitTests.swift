import Foundation
import Logging
import SQLKit
import SQLiteKit
import SQLiteNIO
import Testing
import VaporCSQLite

@testable import Switchboard

@Suite("Group commit")
struct GroupCommitTests {
    @Test func aThrowingBodyLosesOnlyItsOwnChangesInASharedBatch() async throws {
        try await withDatabase { database in
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let callers = (1...50).map { index in
                Task {
                    try await database.transaction { db in
                        try await db.insertItem("item \(index)")
                        if index % 7 == 0 { throw Planned(index: index) }
                        return index
                    }
                }
            }
            try await database.waitUntilQueued(50)
            #expect(try await database.itemNames() == [], "readers see only committed rows")
            let commits = CommitCounter(on: database)
            gate.open()
            try await holder.value
            for (offset, caller) in callers.enumerated() {
                let index = offset + 1
                if index % 7 == 0 {
                    await #expect(throws: Planned(index: index)) { try await caller.value }
                } else {
                    #expect(try await caller.value == index)
                }
            }
            let expected = Set((1...50).filter { $0 % 7 != 0 }.map { "item \($0)" } + ["held"])
            #expect(try await database.itemNames() == expected)
            #expect(commits.stop() == 1)
        }
    }

    @Test func aUniqueViolationAffectsOnlyItsMember() async throws {
        try await withDatabase { database in
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let first = Task { try await database.transaction { try await $0.insertItem("a") } }
            try await database.waitUntilQueued(1)
            let propagated = Task { try await database.transaction { try await $0.insertItem("a") } }
            try await database.waitUntilQueued(2)
            let caught = Task {
                try await database.transaction { db in
                    do {
                        try await db.insertItem("a")
                        return "a"
                    } catch let error as SQLiteError where error.reason == .constraintUniqueFailed {
                        try await db.insertItem("b")
                        return "b"
                    }
                }
            }
            try await database.waitUntilQueued(3)
            let last = Task { try await database.transaction { try await $0.insertItem("c") } }
            try await database.waitUntilQueued(4)
            gate.open()

            try await holder.value
            try await first.value
            let error = await #expect(throws: SQLiteError.self) { try await propagated.value }
            #expect(error?.reason == .constraintUniqueFailed)
            #expect(try await caught.value == "b")
            try await last.value
            #expect(try await database.itemNames() == ["held", "a", "b", "c"])
        }
    }

    @Test func aCommittedRowIsOnDiskForAnotherConnection() async throws {
        try await withDatabase { database in
            try await database.transaction { try await $0.insertItem("durable") }
            let other = try await SQLiteConnection.open(storage: .file(path: database.path))
            let names = try await other.sql().select().column("name").from("items").all().map {
                try $0.decode(column: "name", as: String.self)
            }
            try await other.close()
            #expect(names == ["durable"])
        }
    }

    @Test func aFailedCommitFailsEveryMemberAndKeepsNothing() async throws {
        try await withDatabase { database in
            // A commit hook that vetoes turns the batch's COMMIT into a failure (SQLITE_CONSTRAINT_COMMITHOOK).
            _ = database.writer.connection.withHandle { _ = sqlite_nio_sqlite3_commit_hook($0, { _ in 1 }, nil) }
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let members = (1...5).map { index in Task { try await database.transaction { try await $0.insertItem("m\(index)") } } }
            try await database.waitUntilQueued(5)
            gate.open()

            for member in [holder] + members {
                let error = await #expect(throws: SQLiteError.self) { try await member.value }
                #expect(error?.reason == .constraintCommitHookFailed)
            }
            _ = database.writer.connection.withHandle { _ = sqlite_nio_sqlite3_commit_hook($0, nil, nil) }
            #expect(try await database.itemNames() == [])
            try await database.transaction { try await $0.insertItem("after") }
            #expect(try await database.itemNames() == ["after"])
        }
    }

    @Test func aTransactionSQLiteRollsBackFailsItsWholeBatch() async throws {
        try await withDatabase { database in
            try await database.transaction { db in
                try await db.raw("CREATE TABLE vetoed (id INTEGER PRIMARY KEY)").run()
                try await db.raw("CREATE TRIGGER veto BEFORE INSERT ON vetoed BEGIN SELECT RAISE(ROLLBACK, 'vetoed'); END").run()
            }
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let before = Task { try await database.transaction { try await $0.insertItem("before") } }
            try await database.waitUntilQueued(1)
            let culprit = Task { try await database.transaction { try await $0.raw("INSERT INTO vetoed (id) VALUES (1)").run() } }
            try await database.waitUntilQueued(2)
            let after = Task { try await database.transaction { try await $0.insertItem("after") } }
            try await database.waitUntilQueued(3)
            gate.open()

            for member in [holder, before] {
                let error = await #expect(throws: SQLiteError.self) { try await member.value }
                #expect(error?.reason == .abortByRollback)
            }
            let error = await #expect(throws: SQLiteError.self) { try await culprit.value }
            #expect(error?.message == "vetoed")
            try await after.value
            #expect(try await database.itemNames() == ["after"])
        }
    }

    @Test func aDeferredForeignKeyViolationFailsOnlyItsMember() async throws {
        try await withDatabase { database in
            try await database.transaction { db in
                try await db.raw("CREATE TABLE parents (id INTEGER PRIMARY KEY)").run()
                try await db.raw(
                    "CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"
                ).run()
            }
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let orphan = Task { try await database.transaction { try await $0.raw("INSERT INTO children (parent) VALUES (42)").run() } }
            try await database.waitUntilQueued(1)
            let fine = Task { try await database.transaction { try await $0.insertItem("fine") } }
            try await database.waitUntilQueued(2)
            gate.open()

            try await holder.value
            let error = await #expect(throws: SQLiteError.self) { try await orphan.value }
            #expect(error?.reason == .constraintForeignKeyFailed)
            try await fine.value
            #expect(try await database.itemNames() == ["held", "fine"])
        }
    }

    @Test func aWriteLockHeldByAnotherProcessIsWaitedOutWithoutBlockingReads() async throws {
        try await withDatabase { database in
            try await database.transaction { try await $0.insertItem("before") }
            let other = try await SQLiteConnection.open(storage: .file(path: database.path))
            _ = try await other.query("BEGIN IMMEDIATE")
            let writer = Task { try await database.transaction { try await $0.insertItem("after") } }
            // The writer now waits for the lock on its own thread; the concurrency pool stays free for readers.
            try await Task.sleep(for: .milliseconds(100))
            for _ in 0..<10 { #expect(try await database.itemNames() == ["before"]) }
            _ = try await other.query("COMMIT")
            try await other.close()
            try await writer.value
            #expect(try await database.itemNames() == ["before", "after"])
        }
    }

    @Test func aCancelledWaiterLeavesTheQueueAndOthersComplete() async throws {
        try await withDatabase { database in
            let gate = Gate()
            let holder = try await database.holdWriter(inserting: "held", until: gate)
            let cancelled = Task { try await database.transaction { try await $0.insertItem("cancelled") } }
            try await database.waitUntilQueued(1)
            let other = Task { try await database.transaction { try await $0.insertItem("other") } }
            try await database.waitUntilQueued(2)

            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }
            #expect(database.writer.queued == 1)
            gate.open()
            try await holder.value
            try await other.value
            try await database.transaction { try await $0.insertItem("afterwards") }
            #expect(try await database.itemNames() == ["held", "other", "afterwards"])
        }
    }

    @Test func aCancelledMemberIsRolledBackWithoutHarmingItsBatch() async throws {
        try await withDatabase { database in
            let gate = Gate()
            let holder = Task {
                try await database.transaction { db in
                    try await db.insertItem("cancelled")
                    await gate.wait()
                    try Task.checkCancellation()
                }
            }
            try await waitUntil { gate.waiting == 1 }
            let member = Task { try await database.transaction { try await $0.insertItem("member") } }
            try await database.waitUntilQueued(1)
            holder.cancel()
            gate.open()

            await #expect(throws: CancellationError.self) { try await holder.value }
            try await member.value
            #expect(try await database.itemNames() == ["member"])
        }
    }

    @Test func aBodyCannotEndTheSharedTransaction() async throws {
        try await withDatabase { database in
            for statement in ["COMMIT", "ROLLBACK", "BEGIN", "SAVEPOINT mine", "RELEASE member"] {
                let error = await #expect(throws: SQLiteError.self) {
                    try await database.transaction { db in
                        try await db.insertItem(statement)
                        try await db.raw(SQLQueryString(statement)).run()
                    }
                }
                #expect(error?.reason == .auth)
            }
            try await database.transaction { try await $0.insertItem("still works") }
            #expect(try await database.itemNames() == ["still works"])
        }
    }

    @Test func aConnectionKeptPastItsTransactionRefusesQueries() async throws {
        try await withDatabase { database in
            let leaked = try await database.transaction { $0 }
            let error = await #expect(throws: SQLiteError.self) { try await leaked.insertItem("late") }
            #expect(error?.reason == .misuse)
            #expect(try await database.itemNames() == [])
        }
    }

    @Test func readsDoNotWrite() async throws {
        try await withDatabase { database in
            let error = await #expect(throws: SQLiteError.self) { try await database.read { try await $0.insertItem("x") } }
            #expect(error?.reason == .readOnly)
        }
    }

    @Test func manyConcurrentTransactionsAllCommit() async throws {
        try await withDatabase(batchLimits: BatchLimits()) { database in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        for index in 0..<20 {
                            try await database.transaction { try await $0.insertItem("\(task)-\(index)") }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await database.itemNames().count == 64 * 20)
        }
    }

    @Test func checkpointEmptiesTheLog() async throws {
        try await withDatabase { database in
            try await database.transaction { try await $0.insertItem("x") }
            #expect(try await database.checkpoint())
            let log = try FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? Int
            #expect(log == 0)
        }
    }

    @Test func shutdownLetsTheBatchFinishAndRefusesLaterCallers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-engine-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("test.sqlite").path
        let database = try await SQLiteDatabase(path: path, logger: Logger(label: "test"))
        try await database.transaction { try await $0.raw("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").run() }
        let gate = Gate()
        let holder = try await database.holdWriter(inserting: "held", until: gate)
        let queued = Task { try await database.transaction { try await $0.insertItem("queued") } }
        try await database.waitUntilQueued(1)
        let shutdown = Task { await database.shutdown() }
        await #expect(throws: DatabaseClosed.self) { try await queued.value }
        gate.open()
        try await holder.value
        await shutdown.value
        await #expect(throws: DatabaseClosed.self) { try await database.transaction { _ in } }

        let reopened = try await SQLiteDatabase(path: path, logger: Logger(label: "test"))
        #expect(try await reopened.itemNames() == ["held"])
        await reopened.shutdown()
    }
}
