import Foundation
import Logging
import SQLKit
import Switchboard
import Testing

/// The storage engines the storage suites run on: SQLite always, PostgreSQL when the test command provides a
/// server in `SWITCHBOARD_TEST_POSTGRES_URL` (a URL to its maintenance database, e.g. `postgres://postgres@127.0.0.1:5433/postgres`).
enum TestEngine: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    static var available: [TestEngine] {
        postgresAdminURL == nil ? [.sqlite] : [.sqlite, .postgres]
    }

    static var postgresAdminURL: String? {
        ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var testDescription: String { rawValue }

    /// A new, empty database of this engine. SQLite databases are files under `directory`; PostgreSQL ones are
    /// created on the test server with a random name.
    func makeDatabase(named name: String, in directory: URL) async throws -> DatabaseLocation {
        switch self {
        case .sqlite:
            return .sqlite(path: directory.appendingPathComponent("\(name).sqlite").path)
        case .postgres:
            guard let admin = Self.postgresAdminURL else { throw TestSkipped() }
            let database = "sbtest_\(name.replacingOccurrences(of: "-", with: "_"))_\(UUID().uuidString.prefix(8).lowercased())"
            let adminLocation = try PostgresLocation(parsing: admin)
            let connection = try await PostgresDatabase(location: adminLocation, maximumConnections: 1, logger: .quiet)
            try await connection.read { db in try await db.raw("CREATE DATABASE \(unsafeRaw: database)").run() }
            await connection.shutdown()
            var location = adminLocation
            location.database = database
            return .postgres(location)
        }
    }
}

struct TestSkipped: Error {}

extension Logger {
    /// A logger that discards everything, for tests that do not look at logs.
    static var quiet: Logger {
        Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    }
}

/// A fresh temporary directory, removed when the test ends.
func withTemporaryDirectory<T>(_ body: (URL) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

extension Migrator {
    /// Migrates with a context of the present time and no resource keys (stores in tests hold no rows to re-seal).
    static func migrate(_ database: any Database, to schema: Schema) async throws {
        try await migrate(database, to: schema, context: MigrationContext(now: Timestamp(Date()), events: Capabilities.eventCatalog))
    }
}
