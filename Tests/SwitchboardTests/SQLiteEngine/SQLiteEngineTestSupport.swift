import Foundation
import Logging
import SQLKit
import Synchronization
import Testing
import VaporCSQLite

@testable import Switchboard

/// A fresh database in a directory of its own, removed afterwards. Its batches may stay open for ten minutes, so
/// that tests decide a batch's members by what is queued, not by timing (the whole suite runs in parallel on two
/// cores; a batch never waits for its limit, it commits as soon as nobody is queued).
func withDatabase(
    batchLimits: BatchLimits = BatchLimits(duration: .seconds(600)), checkpointAfter: Int = 1_000,
    _ body: (SQLiteDatabase) async throws -> Void
) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sqlite-engine-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try await SQLiteDatabase(
        path: directory.appendingPathComponent("test.sqlite").path, readers: 2, batchLimits: batchLimits, checkpointAfter: checkpointAfter,
        logger: Logger(label: "test"))
    do {
        try await database.transaction { db in
            try await db.raw("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)").run()
        }
        try await body(database)
    } catch {
        await database.shutdown()
        throw error
    }
    await database.shutdown()
}

extension SQLDatabase {
    func insertItem(_ name: String) async throws {
        try await insert(into: "items").columns("name").values(SQLBind(name)).run()
    }
}

extension SQLiteDatabase {
    /// The names in `items`, as a reader sees them.
    func itemNames() async throws -> Set<String> {
        try await read { db in
            Set(try await db.select().column("name").from("items").all().map { try $0.decode(column: "name", as: String.self) })
        }
    }

    /// Starts a transaction that inserts `name` and then holds the writer until `gate` opens, and waits until it
    /// holds it: the transactions started next queue behind it and form one batch with it.
    func holdWriter(inserting name: String, until gate: Gate) async throws -> Task<Void, any Error> {
        let holder = Task {
            try await transaction { db in
                try await db.insertItem(name)
                await gate.wait()
            }
        }
        try await waitUntil { gate.waiting == 1 }
        return holder
    }

    /// Waits until `count` transactions queue for the writer.
    func waitUntilQueued(_ count: Int) async throws {
        try await waitUntil { writer.queued == count }
    }
}

func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut() }
        try await Task.sleep(for: .milliseconds(2))
    }
}

struct TimedOut: Error {}
struct Planned: Error, Equatable { let index: Int }

/// Holds tasks until opened.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    var waiting: Int { state.withLock { $0.waiters.count } }

    func wait() async {
        await withCheckedContinuation { continuation in
            let open = state.withLock { state in
                if !state.open { state.waiters.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Counts the writer's commits through SQLite's commit hook, from creation until ``stop()``.
final class CommitCounter: Sendable {
    private let database: SQLiteDatabase
    /// Incremented by the hook, on the writer's thread during a `COMMIT`; read after the callers it answers return.
    private nonisolated(unsafe) let count = UnsafeMutablePointer<Int>.allocate(capacity: 1)

    init(on database: SQLiteDatabase) {
        self.database = database
        count.initialize(to: 0)
        let address = Int(bitPattern: count)
        _ = database.writer.connection.withHandle {
            _ = sqlite_nio_sqlite3_commit_hook($0, CommitCounter.increment, UnsafeMutableRawPointer(bitPattern: address))
        }
    }

    /// Removes the hook and returns the number of commits seen.
    func stop() -> Int {
        _ = database.writer.connection.withHandle { _ = sqlite_nio_sqlite3_commit_hook($0, nil, nil) }
        defer { count.deallocate() }
        return count.pointee
    }

    private static let increment: @convention(c) (UnsafeMutableRawPointer?) -> Int32 = { count in
        count?.assumingMemoryBound(to: Int.self).pointee += 1
        return 0
    }
}
