import Foundation
import ServiceLifecycle

/// The operational log of every resource (the residency document's "Azure Monitor logs"): its API, the flush of
/// what requests leave, its retention per resource, and its part in a person's data.
public struct OperationLogCapability: Capability {
    public static var storeMigrations: [Migration] { OperationLogSchema.migrations }
    public static var resourceTables: [String] { OperationLogSchema.tables }
    public static var personalData: [any PersonalDataContributor] { [OperationLogPersonalData()] }

    let log: OperationLog
    let clock: any WallClock
    let accessKey: any Authenticator
    public let service: OperationLogSettings

    public init(platform: Platform) throws {
        log = platform.operationLog
        clock = platform.clock
        accessKey = platform.accessKey
        service = OperationLogSettings()
    }

    public var routes: [Route] { OperationLogAPI(log: log).routes(accessKey: accessKey) }

    public var services: [any Service] { [OperationLogService(log: log, clock: clock)] }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule(
                name: "operationLogs",
                data:
                    "The operational log: API operations, authentication failures, deliveries, policy decisions (no content; people sealed and blind-indexed)",
                kept: "30 days by default, 1 to 730 per resource (resource update --log-retention-days)",
                tables: OperationLogSchema.erasableTables
            ) { store, now in
                // In bounded batches; a bulk trim, so it reports no count of items.
                while try await store.transaction({ db in try await OperationLogStore.trim(now: now, limit: 1000, in: db) }) == 1000 {}
                return 0
            }
        ]
    }
}

/// A resource's log retention, which its operator sets.
public struct OperationLogSettings: Sendable {
    public init() {}

    public func retentionDays(of resource: ResourceHandle) async throws -> Int {
        try await resource.store.read { db in try await OperationLogStore.retentionDays(resource: resource, in: db) }
    }

    public func setRetentionDays(_ days: Int, of resource: ResourceHandle) async throws {
        guard OperationLogStore.retentionDays.contains(days) else {
            throw APIError.badRequest(code: "InvalidRetention", "The log retention is 1 to 730 days.", target: "logRetentionDays")
        }
        try await resource.store.transaction { db in try await OperationLogStore.setRetentionDays(days, resource: resource, in: db) }
    }
}

/// The log's part in a person's data: the entries that name them (as caller or as the person a delivery or decision
/// concerned). Erasure purges them.
struct OperationLogPersonalData: PersonalDataContributor {
    var category: String { "operationalLog" }
    var erasableTables: [String] { OperationLogSchema.erasableTables }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        let entries = try await OperationLogStore.entries(
            .init(subjectIndex: tx.resource.crypto.subjectIndex(subject)), limit: 100_000, resource: tx.resource, in: tx.db)
        return entries.isEmpty ? nil : AnyEncodable(entries)
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        ["entries": try await OperationLogStore.purge(subjectIndex: tx.resource.crypto.subjectIndex(subject), resource: tx.resource, in: tx.db)]
    }
}
