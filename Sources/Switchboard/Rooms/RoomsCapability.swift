import Foundation
import SQLKit

/// Rooms: the ACS Rooms API over the resource's communication users, its part in a person's data (the rooms they
/// take part in) and the retention of repeatability answers. ACS's Event Grid catalog has no room events, so rooms
/// log none.
public struct RoomsCapability: Capability {
    public static var storeMigrations: [Migration] { RoomsSchema.migrations }
    public static var resourceTables: [String] { RoomsSchema.tables }
    public static var personalData: [any PersonalDataContributor] { [RoomsPersonalData()] }

    public let service: RoomsService
    let api: RoomsAPI
    let accessKey: any Authenticator

    public init(platform: Platform) {
        service = RoomsService(changes: platform.changes, clock: platform.clock)
        api = RoomsAPI(rooms: service)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule(
                name: "rooms.repeatability", data: "The room each Repeatability-Request-Id created, replayed for that id", kept: "1 day",
                tables: ["room_repeatability"]
            ) { store, now in
                try await store.transaction { db in
                    try await db.delete(from: "room_repeatability")
                        .where("created_at", .lessThan, now.subtracting(RoomsService.repeatabilityWindow).milliseconds).run()
                }
                return 0
            }
        ]
    }
}

/// Rooms' part in a person's data: the rooms a communication user takes part in, with their role. Erasing them (as
/// deleting their identity does) takes them out of every room; the rooms stay.
struct RoomsPersonalData: PersonalDataContributor {
    var category: String { "rooms" }
    var erasableTables: [String] { RoomsSchema.erasableTables }

    struct Membership: Encodable, Sendable {
        let roomId: String
        let role: RoomRole
        let validFrom: String
        let validUntil: String
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .communicationUser(let user) = subject else { return nil }
        let rooms = try await RoomsStore.rooms(of: user, resource: tx.resource, in: tx.db)
        guard !rooms.isEmpty else { return nil }
        return AnyEncodable(
            rooms.map { room, role in
                Membership(
                    roomId: room.id, role: role, validFrom: RoomsWire.format(room.validFrom), validUntil: RoomsWire.format(room.validUntil))
            })
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .communicationUser(let user) = subject else { return [:] }
        return ["participations": try await RoomsStore.removeEverywhere(user, resource: tx.resource, in: tx.db)]
    }
}
