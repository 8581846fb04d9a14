import Foundation
import SQLKit

/// Where every resource's data is, checked: each geography's store with the resources it holds and their row counts
/// per table, and any row of a resource that belongs to another geography (a misplaced row) or to no resource
/// (left by a deleted one, until the next maintenance pass). `switchboard residency report` prints it.
public struct ResidencyReport: Codable, Sendable {
    public struct Store: Codable, Sendable {
        public let geography: String
        /// Where the store is (a path or a URL without its password).
        public let location: String
        public var resources: [Resource]
        /// Rows of resources the directory places in another geography: must be empty.
        public var misplaced: [Resource]
        /// Rows of resources the directory no longer has (a deletion the maintenance pass has not finished).
        public var orphaned: [Resource]
    }

    public struct Resource: Codable, Sendable {
        public let id: String
        public let name: String?
        /// Where the directory places it.
        public let geography: String?
        public var rows: Int
        /// Rows per table, tables without rows left out.
        public var tables: [String: Int]
    }

    public var stores: [Store]

    /// Whether every row is in its resource's geography.
    public var holds: Bool { stores.allSatisfy { $0.misplaced.isEmpty } }

    /// Builds the report over every geography that has a store: configured, on disk, or holding a resource.
    public static func make(runtime: Runtime) async throws -> ResidencyReport {
        let records = try await runtime.directory.records()
        let byID = Dictionary(records.map { ($0.id.uuidString.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        var stores: [Store] = []
        for geography in Geography.allCases {
            let location = runtime.stores.location(of: geography)
            let hasResources = records.contains { $0.geography == geography }
            if case .sqlite(let path) = location, !hasResources, !FileManager.default.fileExists(atPath: path) { continue }
            if case .postgres = location, !hasResources, runtime.configuration.stores[geography] == nil { continue }
            let database = try await runtime.stores.store(for: geography)
            let counts = try await database.read { db in
                var counts: [String: [String: Int]] = [:]
                for table in StoreSchema.resourceTables {
                    let rows = try await db.select().column("resource_id").column(SQLFunction("count", args: SQLLiteral.all), as: "n")
                        .from(table).groupBy("resource_id").all()
                    for row in rows {
                        counts[try row.decode(column: "resource_id", as: String.self), default: [:]][table] = try row.decode(
                            column: "n", as: Int.self)
                    }
                }
                return counts
            }
            var store = Store(geography: geography.compactName, location: "\(location)", resources: [], misplaced: [], orphaned: [])
            for record in records where record.geography == geography && counts[record.id.uuidString.lowercased()] == nil {
                store.resources.append(
                    Resource(id: record.id.uuidString.lowercased(), name: record.name, geography: geography.compactName, rows: 0, tables: [:]))
            }
            for (id, tables) in counts.sorted(by: { $0.key < $1.key }) {
                let record = byID[id]
                let entry = Resource(
                    id: id, name: record?.name, geography: record?.geography.compactName, rows: tables.values.reduce(0, +), tables: tables)
                switch record?.geography {
                case geography?: store.resources.append(entry)
                case nil: store.orphaned.append(entry)
                default: store.misplaced.append(entry)
                }
            }
            store.resources.sort { ($0.name ?? $0.id) < ($1.name ?? $1.id) }
            stores.append(store)
        }
        return ResidencyReport(stores: stores)
    }
}
