import Foundation
import SMPP
import SQLKit

/// The queries of the SMS tables. The other party's number is sealed (`recipient`) and found by its blind index.
enum SMSStore {
    static let recipientField = PersonalField(rawValue: "sms_messages.recipient")
    static let tagField = PersonalField(rawValue: "sms_messages.tag")
    static let repeatabilityField = PersonalField(rawValue: "sms_repeatability.result")
    static let handsetField = PersonalField(rawValue: "sms_sandbox_messages.handset")
    static let bodyField = PersonalField(rawValue: "sms_sandbox_messages.body")

    /// A message's metadata.
    struct Message: Sendable {
        enum Direction: String, Sendable { case outbound, inbound }

        enum Status: String, Sendable {
            /// Accepted by the API, waiting for the carrier.
            case queued
            /// Accepted by the carrier, waiting for its receipt.
            case sent
            case delivered
            case failed
            case expired
            case received

            var isFinal: Bool { self == .delivered || self == .failed || self == .expired || self == .received }
        }

        let id: String
        let direction: Direction
        /// The resource's number or alphanumeric id.
        let sender: String
        /// The handset's number.
        let recipient: String?
        let segments: Int
        let encoding: String
        var status: Status
        var statusDetails: String?
        let deliveryReport: Bool
        let tag: String?
        let reportTimeoutSeconds: Int
        var carrier: String?
        var segmentsSucceeded: Int
        var segmentsFailed: Int
        let createdAt: Timestamp
        var submittedAt: Timestamp?
        var finishedAt: Timestamp?
    }

    static let columns = [
        "id", "direction", "sender", "recipient", "segments", "encoding", "status", "status_details", "delivery_report", "tag",
        "report_timeout_seconds", "carrier", "segments_succeeded", "segments_failed", "created_at", "submitted_at", "finished_at",
    ]

    static func insert(_ message: Message, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await insert([message], resource: resource, in: db)
    }

    /// Inserts messages in one statement.
    static func insert(_ messages: [Message], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        guard !messages.isEmpty else { return }
        // Written out (see WrittenOutSQL.swift): a send to 100 recipients records 100 messages.
        try await db.insertRows(
            into: "sms_messages", columns: ["resource_id", "recipient_index"] + columns,
            try messages.map { message in
                [
                    resource.storageID, resource.crypto.blindIndex(message.recipient ?? "", kind: .phoneNumber), message.id,
                    message.direction.rawValue, message.sender, try resource.crypto.sealIfPresent(message.recipient, field: recipientField),
                    message.segments, message.encoding, message.status.rawValue, message.statusDetails, message.deliveryReport ? 1 : 0,
                    try resource.crypto.sealIfPresent(message.tag, field: tagField), message.reportTimeoutSeconds, message.carrier,
                    message.segmentsSucceeded, message.segmentsFailed, message.createdAt.milliseconds, message.submittedAt?.milliseconds,
                    message.finishedAt?.milliseconds,
                ]
            })
    }

    static func messages(_ ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Message] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().columns(columns).from("sms_messages").where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids).all().map { try decode($0, resource: resource) }
    }

    static func message(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Message? {
        guard
            let row = try await db.select().columns(columns).from("sms_messages").where("resource_id", .equal, resource.storageID)
                .where("id", .equal, id).first()
        else { return nil }
        return try decode(row, resource: resource)
    }

    static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> Message {
        Message(
            id: try row.decode(column: "id", as: String.self),
            direction: Message.Direction(rawValue: try row.decode(column: "direction", as: String.self)) ?? .outbound,
            sender: try row.decode(column: "sender", as: String.self),
            recipient: try resource.crypto.openIfPresent(try row.decode(column: "recipient", as: Data?.self), field: recipientField),
            segments: try row.decode(column: "segments", as: Int.self), encoding: try row.decode(column: "encoding", as: String.self),
            status: Message.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .queued,
            statusDetails: try row.decode(column: "status_details", as: String?.self),
            deliveryReport: try row.decode(column: "delivery_report", as: Int.self) != 0,
            tag: try resource.crypto.openIfPresent(try row.decode(column: "tag", as: Data?.self), field: tagField),
            reportTimeoutSeconds: try row.decode(column: "report_timeout_seconds", as: Int.self),
            carrier: try row.decode(column: "carrier", as: String?.self),
            segmentsSucceeded: try row.decode(column: "segments_succeeded", as: Int.self),
            segmentsFailed: try row.decode(column: "segments_failed", as: Int.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            submittedAt: try row.decode(column: "submitted_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    static func update(_ message: Message, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.update("sms_messages").set("status", to: message.status.rawValue).set("status_details", to: message.statusDetails)
            .set("carrier", to: message.carrier).set("segments_succeeded", to: message.segmentsSucceeded)
            .set("segments_failed", to: message.segmentsFailed).set("submitted_at", to: message.submittedAt?.milliseconds)
            .set("finished_at", to: message.finishedAt?.milliseconds).where("resource_id", .equal, resource.storageID)
            .where("id", .equal, message.id).run()
    }

    /// How many messages from `sender` wait for the carrier.
    static func queuedCount(from sender: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "queued").from("sms_messages")
            .where("resource_id", .equal, resource.storageID).where("sender", .equal, sender)
            .where("status", .equal, Message.Status.queued.rawValue).first(decodingColumn: "queued", as: Int.self) ?? 0
    }

    /// Updates messages, one statement for each set of them that changed alike (a batch of receipts: mostly
    /// delivered, one segment each).
    static func update(_ messages: [Message], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        struct Change: Hashable {
            let status: String, details: String?, carrier: String?, succeeded: Int, failed: Int, submitted: Int64?, finished: Int64?
        }
        let groups = Dictionary(grouping: messages) {
            Change(
                status: $0.status.rawValue, details: $0.statusDetails, carrier: $0.carrier, succeeded: $0.segmentsSucceeded,
                failed: $0.segmentsFailed, submitted: $0.submittedAt?.milliseconds, finished: $0.finishedAt?.milliseconds)
        }
        for (change, group) in groups {
            try await db.update("sms_messages").set("status", to: change.status).set("status_details", to: change.details)
                .set("carrier", to: change.carrier).set("segments_succeeded", to: change.succeeded).set("segments_failed", to: change.failed)
                .set("submitted_at", to: change.submitted).set("finished_at", to: change.finished)
                .where("resource_id", .equal, resource.storageID).where("id", .in, group.map(\.id)).run()
        }
    }

    // MARK: Carrier ids

    static func recordCarrierIDs(
        _ ids: [(messageID: String, carrierID: String)], carrier: String, resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase
    ) async throws {
        guard !ids.isEmpty else { return }
        var insert = db.insert(into: "sms_carrier_ids")
            .columns("carrier", "carrier_message_id", "resource_id", "message_id", "created_at", "hex_value", "decimal_value")
        for (message, id) in ids {
            let (hex, decimal) = numericValues(of: id)
            insert = insert.values(
                SQLBind(carrier), SQLBind(id), SQLBind(resource.storageID), SQLBind(message), SQLBind(now.milliseconds), SQLBind(hex),
                SQLBind(decimal))
        }
        try await insert.ignoringConflicts(with: ["carrier", "carrier_message_id"]).run()
    }

    /// An id read as a hexadecimal and as a decimal number, where it is one that fits.
    static func numericValues(of id: String) -> (hex: Int64?, decimal: Int64?) {
        let trimmed = id.trimmingCharacters(in: .whitespaces)
        return (
            UInt64(trimmed, radix: 16).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil },
            UInt64(trimmed, radix: 10).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
        )
    }

    /// The messages the ids in a carrier's receipts name, by receipted id: the id as submitted, else the same
    /// number written the other way (hex for decimal, decimal for hex, with or without padding).
    static func carrierMatches(carrier: String, ids: [String], in db: any SQLDatabase) async throws
        -> [String: (resourceID: String, messageID: String)]
    {
        guard !ids.isEmpty else { return [:] }
        var found: [String: (resourceID: String, messageID: String)] = [:]
        for row in try await db.select().columns("carrier_message_id", "resource_id", "message_id").from("sms_carrier_ids")
            .where("carrier", .equal, carrier).where("carrier_message_id", .in, ids).all()
        {
            found[try row.decode(column: "carrier_message_id", as: String.self)] = (
                try row.decode(column: "resource_id", as: String.self), try row.decode(column: "message_id", as: String.self)
            )
        }
        let unmatched = ids.filter { found[$0] == nil }
        let values = Array(
            Set(
                unmatched.flatMap { id -> [Int64] in
                    let (hex, decimal) = numericValues(of: id)
                    return [hex, decimal].compactMap { $0 }
                }))
        guard !values.isEmpty else { return found }
        let rows = try await db.select().columns("carrier_message_id", "resource_id", "message_id").from("sms_carrier_ids")
            .where("carrier", .equal, carrier)
            .where { $0.where("hex_value", .in, values).orWhere("decimal_value", .in, values) }.all()
        for row in rows {
            let submitted = try row.decode(column: "carrier_message_id", as: String.self)
            for id in unmatched where found[id] == nil && DeliveryReceipt.messageIDsMatch(submitted, id) {
                found[id] = (try row.decode(column: "resource_id", as: String.self), try row.decode(column: "message_id", as: String.self))
            }
        }
        return found
    }

    // MARK: Repeatability

    struct StoredResult: Codable, Sendable {
        let result: SMSSendResult
    }

    static func repeated(_ ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String: SMSSendResult] {
        guard !ids.isEmpty else { return [:] }
        var found: [String: SMSSendResult] = [:]
        for row in try await db.select().columns("request_id", "result").from("sms_repeatability").where("resource_id", .equal, resource.storageID)
            .where("request_id", .in, ids).all()
        {
            let sealed = try row.decode(column: "result", as: Data.self)
            found[try row.decode(column: "request_id", as: String.self)] = try JSONBody.decoder.decode(
                SMSSendResult.self, from: try resource.crypto.open(data: sealed, field: repeatabilityField))
        }
        return found
    }

    static func remember(_ result: SMSSendResult, requestID: String, resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase) async throws {
        try await db.insert(into: "sms_repeatability").columns("resource_id", "request_id", "result", "recipient_index", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(requestID),
                SQLBind(try resource.crypto.seal(data: try JSONBody.encoder.encode(result), field: repeatabilityField)),
                SQLBind(resource.crypto.blindIndex(result.to, kind: .phoneNumber)), SQLBind(now.milliseconds)
            ).run()
    }

    // MARK: Alphanumeric senders

    static func alphanumericSender(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> AlphanumericSender? {
        try await db.select().columns("sender_id", "countries", "created_at").from("sms_alphanumeric_senders")
            .where("resource_id", .equal, resource.storageID).where("sender_key", .equal, id.lowercased()).first().map(decodeSender)
    }

    static func alphanumericSenders(resource: ResourceHandle, in db: any SQLDatabase) async throws -> [AlphanumericSender] {
        try await db.select().columns("sender_id", "countries", "created_at").from("sms_alphanumeric_senders")
            .where("resource_id", .equal, resource.storageID).orderBy("sender_key").all().map(decodeSender)
    }

    static func decodeSender(_ row: any SQLRow) throws -> AlphanumericSender {
        AlphanumericSender(
            senderId: try row.decode(column: "sender_id", as: String.self),
            countries: try JSONDecoder().decode([String].self, from: Data(try row.decode(column: "countries", as: String.self).utf8)),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).date)
    }
}

/// An alphanumeric sender id a resource registered, with the countries it may send to.
public struct AlphanumericSender: Sendable, Codable, Equatable {
    public let senderId: String
    public let countries: [String]
    public let createdAt: Date
}
