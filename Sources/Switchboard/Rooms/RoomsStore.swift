import Foundation
import SQLKit

/// The queries of the rooms tables; every one is scoped to a resource.
enum RoomsStore {
    static let roomColumns = ["id", "created_at", "valid_from", "valid_until", "pstn_dial_out"]

    static func decodeRoom(_ row: any SQLRow) throws -> Room {
        Room(
            id: try row.decode(column: "id", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            validFrom: Timestamp(milliseconds: try row.decode(column: "valid_from", as: Int64.self)),
            validUntil: Timestamp(milliseconds: try row.decode(column: "valid_until", as: Int64.self)),
            pstnDialOutEnabled: try row.decode(column: "pstn_dial_out", as: Int.self) != 0)
    }

    // MARK: Rooms

    static func insert(_ room: Room, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "rooms")
            .columns("resource_id", "id", "created_at", "valid_from", "valid_until", "pstn_dial_out", "next_position")
            .values(
                SQLBind(resource.storageID), SQLBind(room.id), SQLBind(room.createdAt.milliseconds), SQLBind(room.validFrom.milliseconds),
                SQLBind(room.validUntil.milliseconds), SQLBind(room.pstnDialOutEnabled ? 1 : 0), SQLBind(Int64(0))
            ).run()
    }

    /// The room `id`. With `locking`, its row stays locked until the transaction ends (PostgreSQL's `FOR UPDATE`), so
    /// two changes of one room's participants never count them at the same moment.
    static func room(_ id: String, resource: ResourceHandle, locking: Bool = false, in db: any SQLDatabase) async throws -> Room? {
        let query = db.select().columns(roomColumns).from("rooms").where("resource_id", .equal, resource.storageID).where("id", .equal, id)
        if locking { query.for(.update) }
        return try await query.first().map(decodeRoom)
    }

    static func update(_ room: Room, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("rooms").set("valid_from", to: room.validFrom.milliseconds).set("valid_until", to: room.validUntil.milliseconds)
            .set("pstn_dial_out", to: room.pstnDialOutEnabled ? 1 : 0)
            .where("resource_id", .equal, resource.storageID).where("id", .equal, room.id).run()
    }

    /// Deletes the room and its participants; whether there was one.
    static func delete(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        guard try await room(id, resource: resource, locking: true, in: db) != nil else { return false }
        try await db.delete(from: "room_participants").where("resource_id", .equal, resource.storageID).where("room_id", .equal, id).run()
        try await db.delete(from: "rooms").where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
        return true
    }

    /// Where a page of rooms starts: after the room created at `createdAt` with id `id`.
    struct RoomCursor: Codable, Sendable {
        let c: Int64
        let i: String
    }

    /// Up to `limit` rooms in creation order, after `cursor`.
    static func rooms(after cursor: RoomCursor?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Room] {
        let query = db.select().columns(roomColumns).from("rooms").where("resource_id", .equal, resource.storageID)
        if let cursor {
            query.where { group in
                group.where("created_at", .greaterThan, cursor.c)
                    .orWhere { $0.where("created_at", .equal, cursor.c).where("id", .greaterThan, cursor.i) }
            }
        }
        return try await query.orderBy("created_at").orderBy("id").limit(limit).all().map(decodeRoom)
    }

    // MARK: Participants

    /// The room's participants with these raw ids, by raw id.
    static func participants(_ rawIDs: [String], room: String, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [String: RoomRole]
    {
        guard !rawIDs.isEmpty else { return [:] }
        var found: [String: RoomRole] = [:]
        for row in try await db.select().columns("participant", "role").from("room_participants")
            .where("resource_id", .equal, resource.storageID).where("room_id", .equal, room).where("participant", .in, rawIDs).all()
        {
            found[try row.decode(column: "participant", as: String.self)] = RoomRole(rawValue: try row.decode(column: "role", as: String.self))
        }
        return found
    }

    static func participantCount(room: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await db.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from("room_participants")
            .where("resource_id", .equal, resource.storageID).where("room_id", .equal, room)
            .first(decodingColumn: "n", as: Int.self) ?? 0
    }

    /// Adds `rawID` at the room's next position (the caller holds the room's row lock).
    static func addParticipant(_ rawID: String, role: RoomRole, room: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        guard
            let position = try await db.select().column("next_position").from("rooms").where("resource_id", .equal, resource.storageID)
                .where("id", .equal, room).first(decodingColumn: "next_position", as: Int64.self)
        else { throw RoomsError.roomNotFound }
        try await db.update("rooms").set("next_position", to: position + 1).where("resource_id", .equal, resource.storageID)
            .where("id", .equal, room).run()
        try await db.insert(into: "room_participants").columns("resource_id", "room_id", "participant", "role", "position")
            .values(SQLBind(resource.storageID), SQLBind(room), SQLBind(rawID), SQLBind(role.rawValue), SQLBind(position)).run()
    }

    static func setRole(_ role: RoomRole, of rawID: String, room: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("room_participants").set("role", to: role.rawValue).where("resource_id", .equal, resource.storageID)
            .where("room_id", .equal, room).where("participant", .equal, rawID).run()
    }

    static func removeParticipant(_ rawID: String, room: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "room_participants").where("resource_id", .equal, resource.storageID).where("room_id", .equal, room)
            .where("participant", .equal, rawID).run()
    }

    /// Up to `limit` participants of the room in the order they were added, after position `after`; with their positions.
    static func participants(room: String, after: Int64?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [(RoomParticipant, Int64)]
    {
        let query = db.select().columns("participant", "role", "position").from("room_participants")
            .where("resource_id", .equal, resource.storageID).where("room_id", .equal, room)
        if let after { query.where("position", .greaterThan, after) }
        return try await query.orderBy("position").limit(limit).all().map { row in
            let role = RoomRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .attendee
            return (
                RoomParticipant(rawId: try row.decode(column: "participant", as: String.self), role: role),
                try row.decode(column: "position", as: Int64.self)
            )
        }
    }

    // MARK: A person's data

    /// The rooms `rawID` takes part in, with its role, in creation order.
    static func rooms(of rawID: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [(Room, RoomRole)] {
        let rows = try await db.select().columns("room_id", "role").from("room_participants")
            .where("resource_id", .equal, resource.storageID).where("participant", .equal, rawID).all()
        var found: [(Room, RoomRole)] = []
        for row in rows {
            guard let room = try await room(try row.decode(column: "room_id", as: String.self), resource: resource, in: db) else { continue }
            found.append((room, RoomRole(rawValue: try row.decode(column: "role", as: String.self)) ?? .attendee))
        }
        return found.sorted { ($0.0.createdAt, $0.0.id) < ($1.0.createdAt, $1.0.id) }
    }

    @discardableResult
    static func removeEverywhere(_ rawID: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await db.delete(from: "room_participants").where("resource_id", .equal, resource.storageID).where("participant", .equal, rawID)
            .runCounting()
    }

    // MARK: Repeatability

    /// The answer first given to `requestID` since `since`, if any.
    static func repeated(_ requestID: String, since: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> RoomsWire.RoomModel?
    {
        guard
            let document = try await db.select().column("document").from("room_repeatability").where("resource_id", .equal, resource.storageID)
                .where("request_id", .equal, requestID).where("created_at", .greaterThanOrEqual, since.milliseconds)
                .first(decodingColumn: "document", as: String.self)
        else { return nil }
        return try JSONBody.decoder.decode(RoomsWire.RoomModel.self, from: Data(document.utf8))
    }

    /// Remembers the answer to `requestID`, replacing one too old to be replayed.
    static func remember(_ room: RoomsWire.RoomModel, requestID: String, at now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await db.delete(from: "room_repeatability").where("resource_id", .equal, resource.storageID).where("request_id", .equal, requestID)
            .run()
        try await db.insert(into: "room_repeatability").columns("resource_id", "request_id", "room_id", "document", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(requestID), SQLBind(room.id),
                SQLBind(String(decoding: try JSONBody.encoder.encode(room), as: UTF8.self)), SQLBind(now.milliseconds)
            ).run()
    }
}
