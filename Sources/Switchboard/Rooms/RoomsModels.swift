import Foundation

/// The role of a room participant (`Attendee` unless told otherwise). `Collaborator` came with api-version 2025-03-13.
public enum RoomRole: String, Codable, Sendable, CaseIterable {
    case presenter = "Presenter"
    case attendee = "Attendee"
    case consumer = "Consumer"
    case collaborator = "Collaborator"

    /// The role named `text` (any case), if the api-version knows it.
    init?(wire text: String, apiVersion: APIVersion) {
        guard let role = Self.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) else { return nil }
        if role == .collaborator, !apiVersion.isAtLeast("2025-03-13") { return nil }
        self = role
    }
}

/// A room as stored: its times to the whole second, as ACS writes them (`yyyy-MM-ddTHH:mm:ssZ`).
public struct Room: Sendable, Equatable {
    public let id: String
    public let createdAt: Timestamp
    public var validFrom: Timestamp
    public var validUntil: Timestamp
    public var pstnDialOutEnabled: Bool
}

/// A participant of a room: a communication user of the resource and its role.
public struct RoomParticipant: Sendable, Equatable, Encodable {
    public let rawId: String
    public let role: RoomRole
}

/// The Rooms wire models (`acs-specs/rooms/2025-03-13.json`).
enum RoomsWire {
    /// `RoomModel`: every field is always present (the Python SDK reads each one by key).
    struct RoomModel: Codable, Sendable, Equatable {
        let id: String
        let createdAt: String
        let validFrom: String
        let validUntil: String
        let pstnDialOutEnabled: Bool

        init(_ room: Room) {
            id = room.id
            createdAt = RoomsWire.format(room.createdAt)
            validFrom = RoomsWire.format(room.validFrom)
            validUntil = RoomsWire.format(room.validUntil)
            pstnDialOutEnabled = room.pstnDialOutEnabled
        }
    }

    /// `ParticipantProperties`; `role` may be left out or `null` (then `Attendee`).
    struct ParticipantProperties: Decodable, Sendable {
        let role: String?
    }

    /// `CreateRoomRequest`. The SDK always sends `validFrom` and `validUntil`, `null` when not given: the defaults.
    struct CreateRoomRequest: Decodable, Sendable {
        let validFrom: Date?
        let validUntil: Date?
        let pstnDialOutEnabled: Bool?
        let participants: [String: ParticipantProperties?]?
    }

    /// `UpdateRoomRequest`. The SDK sends every field, `null` for those not given: unchanged, not removed.
    struct UpdateRoomRequest: Decodable, Sendable {
        let validFrom: Date?
        let validUntil: Date?
        let pstnDialOutEnabled: Bool?
    }

    /// `UpdateParticipantsRequest`: a raw id with properties is added or has its role changed, with `null` removed.
    struct UpdateParticipantsRequest: Decodable, Sendable {
        let participants: [String: ParticipantProperties?]?
    }

    /// `UpdateParticipantsResult`: an empty object.
    struct UpdateParticipantsResult: Encodable, Sendable {}

    /// `2021-09-07T07:55:41Z`: whole seconds, as the spec writes room times.
    static func format(_ time: Timestamp) -> String {
        String(APIDate.format(time.date).prefix(19)) + "Z"
    }
}

extension Timestamp {
    /// This time without its milliseconds (rooms keep whole seconds).
    var wholeSeconds: Timestamp {
        Timestamp(milliseconds: milliseconds - ((milliseconds % 1000) + 1000) % 1000)
    }
}
