import Foundation
import SQLKit

/// Phone numbers: the ACS Phone Numbers API over the inventories (the sandbox's and the operator's), and the lines
/// of the retention table for what a resource keeps about its numbers.
public struct NumbersCapability: Capability {
    public static var storeMigrations: [Migration] { NumbersSchema.migrations }
    public static var resourceTables: [String] { NumbersSchema.tables }

    /// Finished operations are kept for a month, as a record of what was bought and released.
    public static let operationRetention: Duration = .seconds(30 * 86_400)
    /// A search or reservation is kept a day past its expiry, so its result still reads as expired.
    public static let expiredOfferRetention: Duration = .seconds(86_400)

    public let service: NumbersService
    let api: NumbersAPI
    let accessKey: any Authenticator

    public init(platform: Platform) {
        service = NumbersService(
            inventory: NumberInventory(directory: platform.runtime.directory), changes: platform.changes, clock: platform.clock)
        api = NumbersAPI(numbers: service)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule(
                name: "numbers.searchesAndReservations", data: "Phone number searches and reservations", kept: "1 day after they expire",
                tables: ["phone_number_searches", "phone_number_reservations"]
            ) { store, now in
                let cutoff = now.subtracting(Self.expiredOfferRetention).milliseconds
                try await store.transaction { db in
                    try await db.delete(from: "phone_number_searches").where("expires_at", .lessThan, cutoff).run()
                    try await db.delete(from: "phone_number_reservations").where("expires_at", .lessThan, cutoff).run()
                }
                return 0
            },
            RetentionRule(
                name: "numbers.operations", data: "Phone number operations (search, purchase, release, capability changes)",
                kept: "30 days", tables: ["phone_number_operations"]
            ) { store, now in
                try await store.transaction { db in
                    try await db.delete(from: "phone_number_operations")
                        .where("created_at", .lessThan, now.subtracting(Self.operationRetention).milliseconds).run()
                }
                return 0
            },
        ]
    }
}
