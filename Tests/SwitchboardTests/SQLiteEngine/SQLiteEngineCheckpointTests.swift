import Foundation
import Logging
import SQLKit
import Testing

@testable import Switchboard

/// The write-ahead log is copied into the database file by the checkpointer, on its own connection and thread, never
/// inside a commit of the writer.
@Suite("SQLite checkpoints off the writer")
struct SQLiteCheckpointTests {
    /// Writes about `pages` pages of the log: transactions of 20 rows of 4 KB each.
    static func write(pages: Int, to database: SQLiteDatabase) async throws {
        for _ in 0..<(pages / 20 + 1) {
            try await database.transaction { db in
                for _ in 0..<20 {
                    try await db.raw("INSERT INTO blobs (data) VALUES (\(bind: Data(repeating: 0x5A, count: 4_000)))").run()
                }
            }
        }
    }

    static func logSize(_ database: SQLiteDatabase) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: database.path + "-wal")[.size] as? Int ?? 0
    }

    /// With no checkpointer pass due, the log grows past the 1,000 frames at which a commit would have checkpointed
    /// it by SQLite's default (and reused the file from its start, keeping it near 4 MB).
    @Test func theWritersCommitsNeverCheckpoint() async throws {
        try await withDatabase(checkpointAfter: .max) { database in
            try await database.transaction { try await $0.raw("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").run() }
            try await Self.write(pages: 2_000, to: database)
            #expect(database.writer.connection.walFrames > 1_900)
            #expect(try Self.logSize(database) > 1_900 * 4_096)
            #expect(database.checkpointer.passes == 0)
        }
    }

    /// A store opened with the defaults lets the log grow well past SQLite's 1,000 frames before the first pass: a
    /// pass writes each page once however many commits changed it, so the longer the stretch, the fewer writes.
    @Test func byDefaultAPassWaitsForSixteenThousandFrames() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await SQLiteDatabase(path: directory.appendingPathComponent("test.sqlite").path, readers: 1, logger: Logger(label: "test"))
        do {
            #expect(database.checkpointer.threshold == 16_000)
            try await database.transaction { try await $0.raw("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").run() }
            try await Self.write(pages: 2_000, to: database)
            #expect(database.writer.connection.walFrames > 1_900)
            #expect(database.checkpointer.passes == 0)
        } catch {
            await database.shutdown()
            throw error
        }
        await database.shutdown()
    }

    /// The checkpointer copies the log in the background once it has grown by its threshold; under writes that never
    /// pause, the writer checkpoints in its own turn once the log reaches four times that, and the log starts over.
    @Test func theLogIsCopiedInTheBackgroundAndStartsOverUnderWritesThatNeverPause() async throws {
        try await withDatabase(checkpointAfter: 200) { database in
            try await database.transaction { try await $0.raw("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)").run() }
            var largest = 0
            var restarts = 0
            var last = 0
            for _ in 0..<150 {
                try await Self.write(pages: 19, to: database)
                let frames = database.writer.connection.walFrames
                if frames < last { restarts += 1 }
                largest = max(largest, frames)
                last = frames
            }
            #expect(database.checkpointer.passes >= 1)
            #expect(restarts >= 2)
            // Four times the threshold, and the transactions committed while a background pass held the checkpoint.
            #expect(largest < 1_000, "the log reached \(largest) frames")
            let rows = try await database.read { db in
                try await db.raw("SELECT count(*) AS n FROM blobs").first(decodingColumn: "n", as: Int.self)
            }
            #expect(rows == 3_000)
        }
    }
}
