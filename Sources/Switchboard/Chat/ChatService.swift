import Crypto
import Foundation
import SQLKit

/// What the Chat API does: threads, messages, participants, read receipts, typing — with ACS's authorization
/// rules, the residency document's retention rules, and an event for every change.
///
/// Every change runs in one transaction with the events it raises (``Changes``); real-time sessions and webhook
/// deliveries follow from the event log once it commits.
public struct ChatService: Sendable {
    let limits: ChatLimits
    let changes: Changes
    let events: EventLog
    let clock: any WallClock

    public init(limits: ChatLimits = ChatLimits(), changes: Changes, events: EventLog, clock: any WallClock) {
        self.limits = limits
        self.changes = changes
        self.events = events
        self.clock = clock
    }

    /// The caller's standing in a thread.
    struct Access {
        let thread: ChatThreadRecord
        /// The caller's membership periods, oldest first.
        let memberships: [ChatMembershipRecord]
        var isCurrent: Bool { memberships.contains(where: \.isCurrent) }

        func shows(_ message: ChatMessageRecord) -> Bool {
            memberships.contains { $0.shows(sequence: message.sequence, createdAt: message.createdAt) }
        }
    }

    /// Loads the thread and the caller's memberships. A thread that does not exist, is deleted, or that the caller
    /// never took part in is not found; a former participant passes only when `allowingFormer` is set. (A send reads
    /// everyone's memberships with its rate window instead: ``ChatStore/sendRoster(_:resource:thread:since:)``.)
    ///
    /// Changes pass `locking`: the thread's row is locked before the memberships are read, so a change never acts
    /// on memberships another node is changing at the same moment (a message reaching a participant being removed).
    func access(
        _ db: any SQLDatabase, resource: ResourceHandle, user: AuthenticatedUser, thread id: String, allowingFormer: Bool,
        locking: Bool = false
    ) async throws -> Access {
        guard let thread = try await ChatStore.thread(db, resource: resource, id: id, locking: locking), thread.deletedAt == nil else {
            throw ChatError.threadNotFound
        }
        let memberships = try await ChatStore.memberships(db, resource: resource, thread: id, participant: user.id.rawID)
        guard !memberships.isEmpty else { throw ChatError.threadNotFound }
        let access = Access(thread: thread, memberships: memberships)
        guard allowingFormer || access.isCurrent else { throw ChatError.notAParticipant }
        return access
    }

    // MARK: Scopes (acs: chat.join may not create, delete or update threads; chat.join.limited may not add or
    // remove participants either)

    func requireChat(_ user: AuthenticatedUser) throws {
        guard user.scopes.allowsChat else { throw ChatError.missingScope("use chat") }
    }

    func requireThreadManagement(_ user: AuthenticatedUser, _ action: String) throws {
        guard user.scopes.contains(.chat) else { throw ChatError.missingScope(action) }
    }

    func requireParticipantManagement(_ user: AuthenticatedUser) throws {
        guard user.scopes.contains(.chat) || user.scopes.contains(.chatJoin) else {
            throw ChatError.missingScope("add or remove participants")
        }
    }

    /// Runs a change of the resource's chat data in one transaction.
    func change<T: Sendable>(_ resource: ResourceHandle, _ body: @Sendable (Transaction) async throws -> T) async throws -> T {
        try await changes.run(in: resource, body)
    }

    /// The raw ids of the thread's current participants.
    func currentParticipants(_ db: any SQLDatabase, resource: ResourceHandle, thread: String) async throws -> [String] {
        try await ChatStore.memberships(db, resource: resource, thread: thread).filter(\.isCurrent).map(\.participant)
    }

    static func newThreadID() -> String {
        "19:" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() + "@thread.v2"
    }

    // MARK: Validation

    func validateTopic(_ topic: String) throws {
        guard !topic.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ChatError.invalid(code: "InvalidTopic", message: "The topic must not be empty.", target: "topic")
        }
        guard topic.count <= limits.maxTopicLength else {
            throw ChatError.invalid(
                code: "InvalidTopic", message: "The topic is longer than \(limits.maxTopicLength) characters.", target: "topic")
        }
    }

    func validateMetadata(_ metadata: [String: String]?, target: String) throws {
        guard let metadata else { return }
        let size = metadata.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= limits.maxMetadataBytes else {
            throw ChatError.invalid(
                code: "InvalidMetadata", message: "Metadata may hold at most \(limits.maxMetadataBytes) bytes.", target: target)
        }
    }

    func validateDisplayName(_ name: String?, target: String) throws {
        guard let name else { return }
        guard name.count <= limits.maxDisplayNameLength else {
            throw ChatError.invalid(
                code: "InvalidDisplayName", message: "Display names may have at most \(limits.maxDisplayNameLength) characters.",
                target: target)
        }
    }

    /// `nil` for no policy, else the days after creation the thread is deleted (30–90).
    func retentionDays(_ policy: ChatWire.RetentionPolicy?) throws -> Int? {
        guard let policy else { return nil }
        switch policy.kind {
        case "none":
            return nil
        case "threadCreationDate":
            guard let days = policy.deleteThreadAfterDays, (30...90).contains(days) else {
                throw ChatError.invalid(
                    code: "InvalidRetentionPolicy", message: "deleteThreadAfterDays must be between 30 and 90.",
                    target: "retentionPolicy.deleteThreadAfterDays")
            }
            return days
        default:
            throw ChatError.invalid(
                code: "InvalidRetentionPolicy", message: "The retention policy kind must be threadCreationDate or none.",
                target: "retentionPolicy.kind")
        }
    }

    /// A participant to add, validated: a communication user of this resource that exists.
    struct Candidate {
        let rawID: String
        let displayName: String?
        let shareHistoryTime: Timestamp?
        let metadata: [String: String]?
    }

    /// Splits requested participants into valid candidates and `invalidParticipants` errors (target = raw id).
    func candidates(_ requested: [ChatWire.Participant], resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> ([Candidate], [APIError])
    {
        var valid: [Candidate] = []
        var invalid: [APIError] = []
        var seen = Set<String>()
        for (index, participant) in requested.enumerated() {
            try validateDisplayName(participant.displayName, target: "participants[\(index)].displayName")
            try validateMetadata(participant.metadata, target: "participants[\(index)].metadata")
            guard let rawID = participant.communicationIdentifier.resolvedRawID else {
                invalid.append(.badRequest(code: "InvalidParticipant", "The participant has no identifier.", target: ""))
                continue
            }
            guard seen.insert(rawID).inserted else { continue }
            guard let user = UserID(rawID: rawID), user.resourceID == resource.id else {
                invalid.append(
                    .badRequest(
                        code: "InvalidParticipant", "Only communication users of this resource can take part in its chat threads.",
                        target: rawID))
                continue
            }
            guard try await IdentityStore.find(db, resource: resource, user: user) != nil else {
                invalid.append(.notFound(code: "IdentityNotFound", "The identity does not exist in this resource.", target: rawID))
                continue
            }
            valid.append(
                Candidate(
                    rawID: user.rawID, displayName: participant.displayName,
                    shareHistoryTime: participant.shareHistoryTime.map(Timestamp.init), metadata: participant.metadata))
        }
        return (valid, invalid)
    }

    /// The key that makes thread creation idempotent for one creator and `repeatability-request-id`.
    static func creationKey(creator: String, requestID: String) -> Data {
        Data(SHA256.hash(data: Data("\(creator)\n\(requestID)".utf8)))
    }
}
