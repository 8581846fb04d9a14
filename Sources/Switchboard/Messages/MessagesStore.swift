import Foundation
import SQLKit

/// The queries of the WhatsApp tables. Secrets and the other party's number are sealed; numbers are found by their
/// blind index.
enum MessagesStore {
    static let accessTokenField = PersonalField(rawValue: "whatsapp_channels.access_token")
    static let appSecretField = PersonalField(rawValue: "whatsapp_channels.app_secret")
    static let verifyTokenField = PersonalField(rawValue: "whatsapp_channels.verify_token")
    static let recipientField = PersonalField(rawValue: "whatsapp_messages.recipient")
    static let mediaField = PersonalField(rawValue: "whatsapp_media.content")
    static let sandboxField = PersonalField(rawValue: "whatsapp_sandbox_messages.document")

    static func index(_ number: String, resource: ResourceHandle) -> Data {
        resource.crypto.blindIndex(number, kind: .phoneNumber)
    }

    // MARK: Channels

    static let channelColumns = [
        "id", "kind", "phone_number_id", "access_token", "app_secret", "verify_token", "created_at", "business_account_id", "templates_synced_at",
    ]

    static func channel(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> WhatsAppChannel? {
        guard
            let row = try await db.select().columns(channelColumns).from("whatsapp_channels").where("resource_id", .equal, resource.storageID)
                .where("id", .equal, id).first()
        else { return nil }
        let crypto = resource.crypto
        return WhatsAppChannel(
            id: try row.decode(column: "id", as: String.self),
            kind: WhatsAppChannel.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .sandbox,
            phoneNumberID: try row.decode(column: "phone_number_id", as: String?.self),
            businessAccountID: try row.decode(column: "business_account_id", as: String?.self),
            accessToken: try crypto.openIfPresent(try row.decode(column: "access_token", as: Data?.self), field: accessTokenField),
            appSecret: try crypto.openIfPresent(try row.decode(column: "app_secret", as: Data?.self), field: appSecretField),
            verifyToken: try crypto.openIfPresent(try row.decode(column: "verify_token", as: Data?.self), field: verifyTokenField),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            templatesSyncedAt: try row.decode(column: "templates_synced_at", as: Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    static func channelIDs(resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String] {
        try await db.select().column("id").from("whatsapp_channels").where("resource_id", .equal, resource.storageID).orderBy("id")
            .all(decodingColumn: "id", as: String.self)
    }

    static func put(_ channel: WhatsAppChannel, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        let crypto = resource.crypto
        try await db.delete(from: "whatsapp_channels").where("resource_id", .equal, resource.storageID).where("id", .equal, channel.id).run()
        try await db.insert(into: "whatsapp_channels").columns(["resource_id"] + channelColumns)
            .values(
                SQLBind(resource.storageID), SQLBind(channel.id), SQLBind(channel.kind.rawValue), SQLBind(channel.phoneNumberID),
                SQLBind(try crypto.sealIfPresent(channel.accessToken, field: accessTokenField)),
                SQLBind(try crypto.sealIfPresent(channel.appSecret, field: appSecretField)),
                SQLBind(try crypto.sealIfPresent(channel.verifyToken, field: verifyTokenField)), SQLBind(channel.createdAt.milliseconds),
                SQLBind(channel.businessAccountID), SQLBind(channel.templatesSyncedAt?.milliseconds)
            ).run()
    }

    /// Deletes a channel and what only it has: its templates, conversations and media.
    static func deleteChannel(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        let deleted = try await db.delete(from: "whatsapp_channels").where("resource_id", .equal, resource.storageID).where("id", .equal, id)
            .runCounting()
        for table in ["whatsapp_templates", "whatsapp_conversations", "whatsapp_media"] {
            try await db.delete(from: table).where("resource_id", .equal, resource.storageID).where("channel_id", .equal, id).run()
        }
        return deleted > 0
    }

    // MARK: Messages

    struct Message: Sendable {
        let id: String
        let channelID: String
        let direction: String
        let kind: String
        let recipient: String
        var status: String
        var statusDetails: String?
        var carrierMessageID: String?
        let createdAt: Timestamp
    }

    static let messageColumns = [
        "id", "channel_id", "direction", "kind", "recipient", "status", "status_details", "carrier_message_id", "created_at",
    ]

    static func insert(_ messages: [Message], resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase) async throws {
        guard !messages.isEmpty else { return }
        var insert = db.insert(into: "whatsapp_messages").columns(["resource_id", "recipient_index", "updated_at"] + messageColumns)
        for message in messages {
            insert = insert.values(
                SQLBind(resource.storageID), SQLBind(index(message.recipient, resource: resource)), SQLBind(now.milliseconds), SQLBind(message.id),
                SQLBind(message.channelID), SQLBind(message.direction), SQLBind(message.kind),
                SQLBind(try resource.crypto.seal(message.recipient, field: recipientField)), SQLBind(message.status), SQLBind(message.statusDetails),
                SQLBind(message.carrierMessageID), SQLBind(message.createdAt.milliseconds))
        }
        try await insert.run()
    }

    static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> Message {
        Message(
            id: try row.decode(column: "id", as: String.self), channelID: try row.decode(column: "channel_id", as: String.self),
            direction: try row.decode(column: "direction", as: String.self), kind: try row.decode(column: "kind", as: String.self),
            recipient: try resource.crypto.open(try row.decode(column: "recipient", as: Data.self), field: recipientField),
            status: try row.decode(column: "status", as: String.self), statusDetails: try row.decode(column: "status_details", as: String?.self),
            carrierMessageID: try row.decode(column: "carrier_message_id", as: String?.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func messages(_ ids: [String], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Message] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().columns(messageColumns).from("whatsapp_messages").where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids).all().map { try decode($0, resource: resource) }
    }

    static func message(carrierID: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Message? {
        try await db.select().columns(messageColumns).from("whatsapp_messages").where("resource_id", .equal, resource.storageID)
            .where("carrier_message_id", .equal, carrierID).first().map { try decode($0, resource: resource) }
    }

    static func update(
        _ id: String, status: String, details: String?, carrierID: String? = nil, now: Timestamp, resource: ResourceHandle,
        in db: any SQLDatabase
    ) async throws {
        var update = db.update("whatsapp_messages").set("status", to: status).set("status_details", to: details)
            .set("updated_at", to: now.milliseconds)
        if let carrierID { update = update.set("carrier_message_id", to: carrierID) }
        try await update.where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    // MARK: The 24-hour window

    static func recordInbound(channel: String, handset: String, at now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        let key = index(handset, resource: resource)
        try await db.delete(from: "whatsapp_conversations").where("resource_id", .equal, resource.storageID)
            .where("channel_id", .equal, channel).where("handset_index", .equal, SQLBind(key)).run()
        try await db.insert(into: "whatsapp_conversations").columns("resource_id", "channel_id", "handset_index", "last_inbound_at")
            .values(SQLBind(resource.storageID), SQLBind(channel), SQLBind(key), SQLBind(now.milliseconds)).run()
    }

    /// The handsets among `handsets` that wrote to the channel since `since`.
    static func inWindow(_ handsets: [String], channel: String, since: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> Set<String>
    {
        let byIndex = Dictionary(handsets.map { (index($0, resource: resource), $0) }, uniquingKeysWith: { first, _ in first })
        let rows = try await db.select().column("handset_index").from("whatsapp_conversations").where("resource_id", .equal, resource.storageID)
            .where("channel_id", .equal, channel).where("last_inbound_at", .greaterThanOrEqual, since.milliseconds)
            .where("handset_index", .in, Array(byIndex.keys)).all(decodingColumn: "handset_index", as: Data.self)
        return Set(rows.compactMap { byIndex[$0] })
    }

    // MARK: Repeatability

    static func repeated(_ requestID: String, since: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [String]? {
        guard
            let ids = try await db.select().column("message_ids").from("whatsapp_repeatability").where("resource_id", .equal, resource.storageID)
                .where("request_id", .equal, requestID).where("created_at", .greaterThanOrEqual, since.milliseconds)
                .first(decodingColumn: "message_ids", as: String.self)
        else { return nil }
        return ids.split(separator: ",").map(String.init)
    }

    static func remember(_ requestID: String, messageIDs: [String], now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "whatsapp_repeatability").where("resource_id", .equal, resource.storageID)
            .where("request_id", .equal, requestID).run()
        try await db.insert(into: "whatsapp_repeatability").columns("resource_id", "request_id", "message_ids", "created_at")
            .values(SQLBind(resource.storageID), SQLBind(requestID), SQLBind(messageIDs.joined(separator: ",")), SQLBind(now.milliseconds)).run()
    }

    // MARK: Media

    struct Media: Sendable {
        let id: String
        let channelID: String
        let mimeType: String
        let content: Data?
        let graphMediaID: String?
    }

    static func insert(_ media: Media, handset: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "whatsapp_media")
            .columns("resource_id", "id", "channel_id", "handset_index", "mime_type", "content", "graph_media_id", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(media.id), SQLBind(media.channelID), SQLBind(index(handset, resource: resource)),
                SQLBind(media.mimeType), SQLBind(try media.content.map { try resource.crypto.seal(data: $0, field: mediaField) }),
                SQLBind(media.graphMediaID), SQLBind(now.milliseconds)
            ).run()
    }

    static func media(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Media? {
        guard
            let row = try await db.select().columns("id", "channel_id", "mime_type", "content", "graph_media_id").from("whatsapp_media")
                .where("resource_id", .equal, resource.storageID).where("id", .equal, id).first()
        else { return nil }
        return Media(
            id: try row.decode(column: "id", as: String.self), channelID: try row.decode(column: "channel_id", as: String.self),
            mimeType: try row.decode(column: "mime_type", as: String.self),
            content: try (try row.decode(column: "content", as: Data?.self)).map { try resource.crypto.open(data: $0, field: mediaField) },
            graphMediaID: try row.decode(column: "graph_media_id", as: String?.self))
    }

    // MARK: The sandbox

    /// What the sandbox shows of one message: its content, kept a day.
    struct SandboxEntry: Codable, Sendable {
        let id: String
        let messageId: String
        let channelId: String
        /// `outbound` (captured from the API) or `inbound` (sent by a handset).
        let direction: String
        let handset: String
        let content: MessageContent?
        /// Inbound only: what the handset sent.
        let text: String?
        let mediaId: String?
        let createdDateTime: String
    }

    static func insert(_ entry: SandboxEntry, at now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.insert(into: "whatsapp_sandbox_messages")
            .columns("resource_id", "id", "channel_id", "direction", "handset_index", "document", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(entry.id), SQLBind(entry.channelId), SQLBind(entry.direction),
                SQLBind(index(entry.handset, resource: resource)),
                SQLBind(try resource.crypto.seal(data: try JSONBody.encoder.encode(entry), field: sandboxField)), SQLBind(now.milliseconds)
            ).run()
    }

    struct SandboxCursor: Codable, Sendable {
        let at: Int64
        let id: String
    }

    /// Newest first.
    static func sandbox(handset: String?, before cursor: SandboxCursor?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase)
        async throws -> [(SandboxEntry, SandboxCursor)]
    {
        var query = db.select().columns("id", "document", "created_at").from("whatsapp_sandbox_messages")
            .where("resource_id", .equal, resource.storageID)
        if let handset { query = query.where("handset_index", .equal, SQLBind(index(handset, resource: resource))) }
        if let cursor {
            query = query.where { group in
                group.where("created_at", .lessThan, cursor.at).orWhere { inner in
                    inner.where("created_at", .equal, cursor.at).where("id", .lessThan, cursor.id)
                }
            }
        }
        return try await query.orderBy("created_at", .descending).orderBy("id", .descending).limit(limit).all().map { row in
            let data = try resource.crypto.open(data: try row.decode(column: "document", as: Data.self), field: sandboxField)
            return (
                try JSONBody.decoder.decode(SandboxEntry.self, from: data),
                SandboxCursor(at: try row.decode(column: "created_at", as: Int64.self), id: try row.decode(column: "id", as: String.self))
            )
        }
    }
}
