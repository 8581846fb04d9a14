import Foundation
import SQLKit

/// What the Rooms API does: rooms with a validity window and a roster of the resource's communication users, each
/// with a role, within ACS's bounds. Every operation is one transaction on the resource's store; a room past its
/// `validUntil` is still read and listed, as in ACS.
public struct RoomsService: Sendable {
    /// ACS: a room is valid for at most 180 days, and may not start more than 180 days from now.
    public static let maximumValidity: Duration = .seconds(180 * 86_400)
    /// ACS: participants of one room.
    public static let maximumParticipants = 250
    /// A repeatability id is answered with its first room for a day.
    public static let repeatabilityWindow: Duration = .seconds(86_400)

    let changes: Changes
    let clock: any WallClock

    public init(changes: Changes, clock: any WallClock) {
        self.changes = changes
        self.clock = clock
    }

    public struct NewRoom: Sendable {
        public var validFrom: Date?
        public var validUntil: Date?
        public var pstnDialOutEnabled: Bool?
        /// Raw id → role as sent (`nil`: `Attendee`).
        public var participants: [String: String?]
        public var repeatabilityRequestID: String?

        public init(
            validFrom: Date? = nil, validUntil: Date? = nil, pstnDialOutEnabled: Bool? = nil, participants: [String: String?] = [:],
            repeatabilityRequestID: String? = nil
        ) {
            self.validFrom = validFrom
            self.validUntil = validUntil
            self.pstnDialOutEnabled = pstnDialOutEnabled
            self.participants = participants
            self.repeatabilityRequestID = repeatabilityRequestID
        }
    }

    /// Creates a room: `validFrom` defaults to now, `validUntil` to now + 180 days. With a repeatability id answered
    /// within the last day, returns that answer and creates nothing.
    func create(_ request: NewRoom, apiVersion: APIVersion, in resource: ResourceHandle) async throws -> RoomsWire.RoomModel {
        let roles = try Self.roles(request.participants, apiVersion: apiVersion)
        do {
            return try await changes.run(in: resource) { tx in
                let db = tx.db
                let now = tx.now
                if let key = request.repeatabilityRequestID,
                    let answer = try await RoomsStore.repeated(key, since: now.subtracting(Self.repeatabilityWindow), resource: resource, in: db)
                {
                    return answer
                }
                let today = now.wholeSeconds
                let from = request.validFrom.map { Timestamp($0).wholeSeconds } ?? today
                let until = request.validUntil.map { Timestamp($0).wholeSeconds } ?? today.adding(Self.maximumValidity)
                try Self.checkWindow(from: from, until: until, fromGiven: true, now: now)
                let members = try await Self.members(roles, resource: resource, in: db)
                guard members.count <= Self.maximumParticipants else { throw RoomsError.tooManyParticipants(Self.maximumParticipants) }

                var id = Self.newRoomID()
                while try await RoomsStore.room(id, resource: resource, in: db) != nil { id = Self.newRoomID() }
                let room = Room(id: id, createdAt: now, validFrom: from, validUntil: until, pstnDialOutEnabled: request.pstnDialOutEnabled ?? false)
                try await RoomsStore.insert(room, resource: resource, in: db)
                // Added in the order of their raw ids: the request's map has no order.
                for (rawID, role) in members.sorted(by: { $0.key < $1.key }) {
                    try await RoomsStore.addParticipant(rawID, role: role, room: id, resource: resource, in: db)
                }
                let answer = RoomsWire.RoomModel(room)
                if let key = request.repeatabilityRequestID {
                    try await RoomsStore.remember(answer, requestID: key, at: now, resource: resource, in: db)
                }
                return answer
            }
        } catch let error as any APIErrorConvertible {
            throw error
        } catch {
            // Two creations with the same repeatability id raced: the loser answers with the winner's room.
            if let key = request.repeatabilityRequestID {
                let since = clock.now.subtracting(Self.repeatabilityWindow)
                if let answer = try await resource.store.read({ db in try await RoomsStore.repeated(key, since: since, resource: resource, in: db) })
                {
                    return answer
                }
            }
            throw error
        }
    }

    public func room(_ id: String, in resource: ResourceHandle) async throws -> Room {
        try Self.checkRoomID(id)
        guard let room = try await resource.store.read({ db in try await RoomsStore.room(id, resource: resource, in: db) }) else {
            throw RoomsError.roomNotFound
        }
        return room
    }

    /// A page of the resource's rooms in creation order, and where the next one starts.
    func rooms(after cursor: RoomsStore.RoomCursor?, pageSize: Int, in resource: ResourceHandle) async throws
        -> ([Room], RoomsStore.RoomCursor?)
    {
        let rooms = try await resource.store.read { db in
            try await RoomsStore.rooms(after: cursor, limit: pageSize + 1, resource: resource, in: db)
        }
        let page = Array(rooms.prefix(pageSize))
        let next = rooms.count > pageSize ? page.last.map { RoomsStore.RoomCursor(c: $0.createdAt.milliseconds, i: $0.id) } : nil
        return (page, next)
    }

    public struct RoomUpdate: Sendable {
        /// `nil`: unchanged (the SDK sends `null` for what it was not given).
        public var validFrom: Date?
        public var validUntil: Date?
        public var pstnDialOutEnabled: Bool?

        public init(validFrom: Date? = nil, validUntil: Date? = nil, pstnDialOutEnabled: Bool? = nil) {
            self.validFrom = validFrom
            self.validUntil = validUntil
            self.pstnDialOutEnabled = pstnDialOutEnabled
        }
    }

    /// Changes what `update` names; a new window must lie within ACS's bounds.
    public func update(_ id: String, _ update: RoomUpdate, in resource: ResourceHandle) async throws -> Room {
        try Self.checkRoomID(id)
        return try await changes.run(in: resource) { tx in
            guard var room = try await RoomsStore.room(id, resource: resource, locking: true, in: tx.db) else { throw RoomsError.roomNotFound }
            if update.validFrom != nil || update.validUntil != nil {
                let from = update.validFrom.map { Timestamp($0).wholeSeconds } ?? room.validFrom
                let until = update.validUntil.map { Timestamp($0).wholeSeconds } ?? room.validUntil
                try Self.checkWindow(from: from, until: until, fromGiven: update.validFrom != nil, now: tx.now)
                room.validFrom = from
                room.validUntil = until
            }
            if let enabled = update.pstnDialOutEnabled { room.pstnDialOutEnabled = enabled }
            try await RoomsStore.update(room, resource: resource, in: tx.db)
            return room
        }
    }

    /// Deletes the room and its participants. Deleting a room that is not there succeeds, as in ACS.
    public func delete(_ id: String, in resource: ResourceHandle) async throws {
        try Self.checkRoomID(id)
        _ = try await changes.run(in: resource) { tx in try await RoomsStore.delete(id, resource: resource, in: tx.db) }
    }

    /// One participant's change: added with a role (or given a new one; `nil` is `Attendee`), or removed.
    public enum ParticipantChange: Sendable, Equatable {
        case set(role: String?)
        case remove
    }

    /// Adds or changes the role of the raw ids set and removes those removed; removing one that is not a participant
    /// changes nothing. All or nothing: one refused participant refuses the request.
    public func updateParticipants(_ id: String, _ changes: [String: ParticipantChange], apiVersion: APIVersion, in resource: ResourceHandle)
        async throws
    {
        try Self.checkRoomID(id)
        var sets: [String: String?] = [:]
        for (rawID, change) in changes { if case .set(let role) = change { sets[rawID] = role } }
        let roles = try Self.roles(sets, apiVersion: apiVersion)
        let removals = changes.filter { $0.value == .remove }.map(\.key)
        for rawID in removals where Self.kind(of: rawID) == .malformed { throw RoomsError.invalidIdentifier(rawID) }
        try await self.changes.run(in: resource) { tx in
            let db = tx.db
            guard try await RoomsStore.room(id, resource: resource, locking: true, in: db) != nil else { throw RoomsError.roomNotFound }
            let members = try await Self.members(roles, resource: resource, in: db)
            let removed = removals.compactMap { UserID(rawID: $0)?.rawID ?? $0 }
            let existing = try await RoomsStore.participants(Array(members.keys) + removed, room: id, resource: resource, in: db)
            let count = try await RoomsStore.participantCount(room: id, resource: resource, in: db)
            let added = members.keys.filter { existing[$0] == nil }.count
            let leaving = Set(removed).filter { existing[$0] != nil }.count
            guard count + added - leaving <= Self.maximumParticipants else { throw RoomsError.tooManyParticipants(Self.maximumParticipants) }
            for rawID in Set(removed) where existing[rawID] != nil {
                try await RoomsStore.removeParticipant(rawID, room: id, resource: resource, in: db)
            }
            for (rawID, role) in members.sorted(by: { $0.key < $1.key }) {
                if let current = existing[rawID] {
                    if current != role { try await RoomsStore.setRole(role, of: rawID, room: id, resource: resource, in: db) }
                } else {
                    try await RoomsStore.addParticipant(rawID, role: role, room: id, resource: resource, in: db)
                }
            }
        }
    }

    /// A page of the room's participants in the order they were added, and the position the next page starts after.
    public func participants(of id: String, after: Int64?, pageSize: Int, in resource: ResourceHandle) async throws -> ([RoomParticipant], Int64?) {
        try Self.checkRoomID(id)
        return try await resource.store.read { db in
            guard try await RoomsStore.room(id, resource: resource, in: db) != nil else { throw RoomsError.roomNotFound }
            let rows = try await RoomsStore.participants(room: id, after: after, limit: pageSize + 1, resource: resource, in: db)
            let page = rows.prefix(pageSize)
            return (page.map(\.0), rows.count > pageSize ? page.last?.1 : nil)
        }
    }

    // MARK: Rules

    /// ACS's bounds on a window: it starts at most 180 days from now, ends after it starts, is at most 180 days long
    /// and does not end in the past.
    static func checkWindow(from: Timestamp, until: Timestamp, fromGiven: Bool, now: Timestamp) throws {
        if fromGiven, from > now.adding(maximumValidity) {
            throw RoomsError.badArgument("Value is incorrect or more than 180 days in the future.", target: "ValidFrom")
        }
        if until < now.wholeSeconds { throw RoomsError.badArgument("The time range end is in the past.", target: "ValidUntil") }
        if until <= from || until.duration(since: from) > maximumValidity {
            throw RoomsError.badArgument("The time range is incorrect, or larger than 180 days.", target: "ValidUntil")
        }
    }

    /// Room ids are 17 digits, as ACS's.
    static func checkRoomID(_ id: String) throws {
        guard id.utf8.count == 17, id.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { throw RoomsError.invalidRoomID }
    }

    /// A new room id: 17 digits like ACS's (`99199690362660524`), 16 of them random.
    static func newRoomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "9" + (0..<16).map { _ in String(UInt8.random(in: 0...9, using: &generator)) }.joined()
    }

    /// The roles as sent: `nil` or absent is `Attendee`, an unknown one (or one the api-version does not know) is a 400.
    static func roles(_ participants: [String: String?], apiVersion: APIVersion) throws -> [String: RoomRole] {
        var roles: [String: RoomRole] = [:]
        for (rawID, text) in participants {
            guard let text else {
                roles[rawID] = .attendee
                continue
            }
            guard let role = RoomRole(wire: text, apiVersion: apiVersion) else {
                let known = RoomRole.allCases.filter { $0 != .collaborator || apiVersion.isAtLeast("2025-03-13") }.map(\.rawValue)
                throw RoomsError.badArgument(
                    "The role must be one of \(known.joined(separator: ", ")).", target: "$.participants.\(rawID).role")
            }
            roles[rawID] = role
        }
        return roles
    }

    enum IdentifierKind: Equatable {
        case communicationUser(UserID)
        /// A communication user of another resource or cloud.
        case foreignCommunicationUser
        /// A phone number, a Teams user or app, a Teams extension user.
        case otherKind
        case malformed
    }

    /// What a raw id names (`CommunicationIdentifier` raw id formats).
    static func kind(of rawID: String) -> IdentifierKind {
        if let user = UserID(rawID: rawID) { return .communicationUser(user) }
        if rawID.hasPrefix("8:acs:") {
            // Two `_` after the prefix: a Teams extension user; anything else is no id at all.
            let parts = rawID.dropFirst("8:acs:".count).split(separator: "_", omittingEmptySubsequences: false)
            return parts.count == 3 && parts.allSatisfy({ !$0.isEmpty }) ? .otherKind : .malformed
        }
        for prefix in ["8:dod-acs:", "8:gcch-acs:", "8:spool:"] where rawID.hasPrefix(prefix) && rawID.count > prefix.count {
            return .foreignCommunicationUser
        }
        for prefix in ["4:", "8:orgid:", "8:dod:", "8:gcch:", "8:teamsvisitor:", "28:"] where rawID.hasPrefix(prefix) && rawID.count > prefix.count {
            return .otherKind
        }
        return .malformed
    }

    /// The participants to add: communication users of this resource that exist, by their raw id as Switchboard
    /// writes it; anything else refuses the request.
    static func members(_ roles: [String: RoomRole], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: RoomRole] {
        var members: [String: RoomRole] = [:]
        for (rawID, role) in roles.sorted(by: { $0.key < $1.key }) {
            switch kind(of: rawID) {
            case .malformed:
                throw RoomsError.invalidIdentifier(rawID)
            case .otherKind:
                throw RoomsError.notACommunicationUser(rawID)
            case .foreignCommunicationUser:
                throw RoomsError.notAUserOfThisResource(rawID)
            case .communicationUser(let user):
                guard user.resourceID == resource.id else { throw RoomsError.notAUserOfThisResource(rawID) }
                guard try await IdentityStore.find(db, resource: resource, user: user) != nil else {
                    throw RoomsError.identityNotFound(rawID)
                }
                members[user.rawID] = role
            }
        }
        return members
    }
}
