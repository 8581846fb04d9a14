import Foundation
import SQLKit

/// Data-subject requests: a person's data exported or erased across every capability in one request, each erasure
/// proven by a signed receipt; its lines of the retention table.
public struct PrivacyCapability: Capability {
    public static var storeMigrations: [Migration] { PrivacySchema.migrations }
    public static var resourceTables: [String] { PrivacySchema.tables }
    public static var personalData: [any PersonalDataContributor] { [PrivacyPersonalData()] }

    public let service: PrivacyService
    let accessKey: any Authenticator

    public init(platform: Platform) throws {
        service = PrivacyService(changes: platform.changes, personalData: platform.personalData, invalidationListeners: [platform.realtime])
        accessKey = platform.accessKey
    }

    public var routes: [Route] { PrivacyAPI(privacy: service).routes(accessKey: accessKey) }

    public var outboxHandlers: [any OutboxHandler] { [PrivacyRequestHandler(service: service)] }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule(
                name: "privacy.archives", data: "A person's data export (the archive, sealed)", kept: "1 day, or until the person is erased",
                tables: ["privacy_requests", "privacy_request_subjects"]
            ) { store, now in
                let cutoff = now.subtracting(PrivacyService.archiveRetention)
                // In bounded batches; a bulk trim, so it reports no count of items.
                while try await store.transaction({ db in try await PrivacyStore.expireArchives(finishedBefore: cutoff, limit: 500, in: db) }) == 500
                {}
                return 0
            },
            RetentionRule(
                name: "privacy.requests",
                data: "Data-subject requests: status and times; an erasure's signed receipt (keyed hashes and counts, no identifier)",
                kept: "exports 30 days; erasure receipts 4 years, as long as the consent proof an erasure leaves", tables: ["privacy_requests"]
            ) { store, now in
                try await store.transaction { db in
                    try await PrivacyStore.trim(.export, finishedBefore: now.subtracting(PrivacyService.exportRetention), in: db)
                    try await PrivacyStore.trim(.erasure, finishedBefore: now.subtracting(PrivacyService.receiptRetention), in: db)
                }
                return 0
            },
        ]
    }
}

/// The privacy requests' own part in a person's data: the archives exported of them. Erasing someone erases those
/// too, so no copy of their data outlives the erasure.
struct PrivacyPersonalData: PersonalDataContributor {
    var category: String { "privacyExports" }
    var erasableTables: [String] { PrivacySchema.tables }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? { nil }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        ["archives": try await PrivacyStore.eraseArchives(concerning: tx.resource.crypto.subjectIndex(subject), resource: tx.resource, in: tx.db)]
    }
}
