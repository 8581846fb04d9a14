import Foundation
import HTTPTypes
import Hummingbird

/// The ACS Rooms API (`api-version=2025-03-13` and the older versions `azure-communication-rooms` 1.2.0 can send),
/// signed with the resource's access key (the SDK signs the percent-decoded path, which the access-key check accepts).
///
/// Wire contract: `reference/acs-wire.md` §4.6 and `acs-specs/rooms/2025-03-13.json`.
public struct RoomsAPI: Sendable {
    public static let service = APIService(name: "rooms", versions: ["2023-06-14", "2023-10-30-preview", "2024-04-15", "2025-03-13"])

    /// Rooms and participants per page; ACS takes no page size, Switchboard also reads `maxPageSize`.
    static let defaultPageSize = 100
    static let maximumPageSize = 1000

    static let repeatabilityRequestID = HTTPField.Name("Repeatability-Request-Id")!
    static let repeatabilityFirstSent = HTTPField.Name("Repeatability-First-Sent")!
    static let repeatabilityResult = HTTPField.Name("Repeatability-Result")!

    let rooms: RoomsService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.post, "/rooms", service: s, auth: auth, handler: create),
            Route(.get, "/rooms", service: s, auth: auth, handler: list),
            Route(.get, "/rooms/{roomId}", service: s, auth: auth, handler: get),
            Route(.patch, "/rooms/{roomId}", service: s, auth: auth, handler: update),
            Route(.delete, "/rooms/{roomId}", service: s, auth: auth, handler: delete),
            Route(.get, "/rooms/{roomId}/participants", service: s, auth: auth, handler: listParticipants),
            Route(.patch, "/rooms/{roomId}/participants", service: s, auth: auth, handler: updateParticipants),
        ]
    }

    // MARK: Rooms

    @Sendable func create(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(RoomsWire.CreateRoomRequest.self)
        let requestID = try Self.repeatability(request)
        var participants: [String: String?] = [:]
        // A participant sent as `null` is no participant.
        for (rawID, properties) in body.participants ?? [:] { if let properties { participants[rawID] = properties.role } }
        let room = try await rooms.create(
            .init(
                validFrom: body.validFrom, validUntil: body.validUntil, pstnDialOutEnabled: body.pstnDialOutEnabled, participants: participants,
                repeatabilityRequestID: requestID),
            apiVersion: request.apiVersion, in: request.resource)
        var headers = HTTPFields()
        headers[.location] = "\(request.endpoint)/rooms/\(room.id)"
        if requestID != nil { headers[Self.repeatabilityResult] = "accepted" }
        return try JSONBody.response(room, status: .created, headers: headers)
    }

    /// The repeatability id of a create, if sent: 1–128 characters, with `Repeatability-First-Sent` (when sent) an
    /// RFC 1123 date.
    static func repeatability(_ request: APIRequest) throws -> String? {
        if let sent = request.headers[repeatabilityFirstSent], HTTPDate.parse(sent) == nil {
            throw RoomsError.badArgument("Repeatability-First-Sent must be an RFC 1123 date.", target: "Repeatability-First-Sent")
        }
        guard let id = request.headers[repeatabilityRequestID] else { return nil }
        guard !id.isEmpty, id.count <= 128 else {
            throw RoomsError.badArgument("Repeatability-Request-Id must be 1-128 characters.", target: "Repeatability-Request-Id")
        }
        return id
    }

    @Sendable func list(_ request: APIRequest) async throws -> Response {
        let (items, next) = try await rooms.rooms(
            after: try Paging.cursor(request, as: RoomsStore.RoomCursor.self), pageSize: try Self.pageSize(request), in: request.resource)
        return try JSONBody.response(
            Page(
                value: items.map(RoomsWire.RoomModel.init),
                nextLink: next.map { Paging.nextLink(request, path: "/rooms", cursor: $0, keeping: ["maxPageSize"]) }))
    }

    @Sendable func get(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(RoomsWire.RoomModel(try await rooms.room(request.parameter("roomId"), in: request.resource)))
    }

    @Sendable func update(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(RoomsWire.UpdateRoomRequest.self)
        let room = try await rooms.update(
            request.parameter("roomId"),
            .init(validFrom: body.validFrom, validUntil: body.validUntil, pstnDialOutEnabled: body.pstnDialOutEnabled), in: request.resource)
        return try JSONBody.response(RoomsWire.RoomModel(room))
    }

    @Sendable func delete(_ request: APIRequest) async throws -> Response {
        try await rooms.delete(request.parameter("roomId"), in: request.resource)
        return Response(status: .noContent)
    }

    // MARK: Participants

    struct ParticipantCursor: Codable, Sendable {
        let p: Int64
    }

    @Sendable func listParticipants(_ request: APIRequest) async throws -> Response {
        let id = request.parameter("roomId")
        let (items, next) = try await rooms.participants(
            of: id, after: try Paging.cursor(request, as: ParticipantCursor.self)?.p, pageSize: try Self.pageSize(request), in: request.resource)
        return try JSONBody.response(
            Page(
                value: items,
                nextLink: next.map {
                    Paging.nextLink(request, path: "/rooms/\(id)/participants", cursor: ParticipantCursor(p: $0), keeping: ["maxPageSize"])
                }))
    }

    @Sendable func updateParticipants(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(RoomsWire.UpdateParticipantsRequest.self)
        guard let participants = body.participants else {
            throw RoomsError.badArgument("The participants field is required.", target: "participants")
        }
        try await rooms.updateParticipants(
            request.parameter("roomId"), participants.mapValues { $0.map { .set(role: $0.role) } ?? .remove }, apiVersion: request.apiVersion,
            in: request.resource)
        return try JSONBody.response(RoomsWire.UpdateParticipantsResult())
    }

    static func pageSize(_ request: APIRequest) throws -> Int {
        try Paging.pageSize(request, defaultSize: defaultPageSize, maximum: maximumPageSize)
    }
}
