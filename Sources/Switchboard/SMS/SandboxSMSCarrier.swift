import Foundation
import SQLKit

/// The carrier used when none is configured: it stands in for the handsets. It accepts every message, keeps a copy
/// in the resource's sandbox inbox (where a developer reads it, as the handset would) and reports each segment
/// delivered after a short delay — or failed for numbers whose national part ends in `0000`, so failures can be
/// tried. Its receipts travel through the outbox like any carrier's, so they survive a restart.
struct SandboxSMSCarrier: SMSCarrier {
    static let name = "sandbox"
    var name: String { Self.name }
    var window: Int { 100 }

    let changes: Changes
    let delay: Duration

    struct ReceiptPayload: Codable, Sendable {
        let ids: [String]
        let delivered: Bool
    }

    func submit(_ messages: [SMSSubmission]) async -> [SMSSubmitOutcome] {
        var outcomes: [SMSSubmitOutcome] = []
        for message in messages {
            let ids = (1...max(1, message.segments)).map { _ in UUID().uuidString.lowercased() }
            let reachable = !message.to.hasSuffix("0000")
            do {
                try await changes.run(in: message.resource) { tx in
                    try await SandboxInbox.insert(
                        .init(
                            id: UUID().uuidString.lowercased(), messageID: message.messageID, direction: .outbound, sender: message.from,
                            handset: message.to, body: message.text, segments: message.segments, at: tx.now),
                        resource: tx.resource, in: tx.db)
                    try await Outbox.enqueue(
                        [
                            NewOutboxItem(
                                kind: SMSService.sandboxReceiptKind, target: Self.name, deliveryID: ids[0], subject: .phoneNumber(message.to),
                                correlation: Correlation(scope: "sms:\(message.messageID)", item: "sandbox"),
                                payload: try JSONBody.encoder.encode(ReceiptPayload(ids: ids, delivered: reachable)), maxAttempts: 100,
                                expiresAt: tx.now.adding(delay).adding(seconds: 86_400), notBefore: tx.now.adding(delay))
                        ], in: tx)
                }
                outcomes.append(.accepted(ids))
            } catch {
                outcomes.append(.retry("the sandbox could not store the message", after: nil))
            }
        }
        return outcomes
    }
}

/// The sandbox's copy of what handsets would have received and sent: a stand-in for handsets, so it keeps what it
/// holds for a day (``SMSCapability/sandboxRetention``), then deletes it.
public enum SandboxInbox {
    /// One message a sandbox handset received (`outbound`) or sent (`inbound`).
    public struct Entry: Sendable, Encodable {
        public enum Direction: String, Sendable, Encodable { case outbound, inbound }

        public let id: String
        public let messageID: String
        public let direction: Direction
        /// The resource's number or sender id.
        public let sender: String
        public let handset: String
        public let body: String
        public let segments: Int
        public let at: Timestamp

        /// One line for a terminal.
        public var line: String {
            let arrow = direction == .outbound ? "\(sender) → \(handset)" : "\(handset) → \(sender)"
            return "\(APIDate.format(at.date))  \(arrow)  \(body)"
        }

        enum CodingKeys: String, CodingKey {
            case id, messageID = "messageId", direction, sender = "from", handset = "to", body = "message", segments, at = "createdAt"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(messageID, forKey: .messageID)
            try container.encode(direction, forKey: .direction)
            // From and to as the handset sees them.
            try container.encode(direction == .outbound ? sender : handset, forKey: .sender)
            try container.encode(direction == .outbound ? handset : sender, forKey: .handset)
            try container.encode(body, forKey: .body)
            try container.encode(segments, forKey: .segments)
            try container.encode(at.date, forKey: .at)
        }
    }

    static func insert(_ entry: Entry, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "sms_sandbox_messages")
            .columns(
                "resource_id", "id", "message_id", "direction", "sender", "handset_index", "handset", "body", "segments", "encoding", "created_at"
            )
            .values(
                SQLBind(resource.storageID), SQLBind(entry.id), SQLBind(entry.messageID), SQLBind(entry.direction.rawValue), SQLBind(entry.sender),
                SQLBind(resource.crypto.blindIndex(entry.handset, kind: .phoneNumber)),
                SQLBind(try resource.crypto.seal(entry.handset, field: SMSStore.handsetField)),
                SQLBind(try resource.crypto.seal(entry.body, field: SMSStore.bodyField)), SQLBind(entry.segments), SQLBind(""),
                SQLBind(entry.at.milliseconds)
            ).run()
    }

    /// Newest first, after the cursor `(createdAt, id)` of the previous page; optionally one handset's.
    static func entries(
        handset: String?, before: (Int64, String)?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> [Entry] {
        let query = db.select().columns("id", "message_id", "direction", "sender", "handset", "body", "segments", "created_at")
            .from("sms_sandbox_messages").where("resource_id", .equal, resource.storageID)
        if let handset { query.where("handset_index", .equal, resource.crypto.blindIndex(handset, kind: .phoneNumber)) }
        if let (at, id) = before {
            query.where {
                $0.where("created_at", .lessThan, at).orWhere { $0.where("created_at", .equal, at).where("id", .lessThan, id) }
            }
        }
        return try await query.orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all().map { row in
            Entry(
                id: try row.decode(column: "id", as: String.self), messageID: try row.decode(column: "message_id", as: String.self),
                direction: Entry.Direction(rawValue: try row.decode(column: "direction", as: String.self)) ?? .outbound,
                sender: try row.decode(column: "sender", as: String.self),
                handset: try resource.crypto.open(try row.decode(column: "handset", as: Data.self), field: SMSStore.handsetField),
                body: try resource.crypto.open(try row.decode(column: "body", as: Data.self), field: SMSStore.bodyField),
                segments: try row.decode(column: "segments", as: Int.self),
                at: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
        }
    }
}
