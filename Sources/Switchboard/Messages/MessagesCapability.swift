import Foundation
import SQLKit

/// Advanced Messages (WhatsApp): the ACS Advanced Messages API through the policy gate, WhatsApp's 24-hour rule and
/// the outbox to a carrier (the sandbox or the WhatsApp Cloud API); channels and templates; Meta's webhook; inbound
/// messages and statuses as Event Grid events; its part in a person's data and its lines of the retention table.
/// Offered only to resources in the five geographies of the residency document.
public struct MessagesCapability: Capability {
    public static var storeMigrations: [Migration] { MessagesSchema.migrations }
    public static var resourceTables: [String] { MessagesSchema.tables }
    public static var eventProjections: [any EventProjection] { [MessagesEventProjection()] }
    public static var personalData: [any PersonalDataContributor] { [MessagesPersonalData()] }
    public static var senderAuthorities: [any SenderAuthority] { [Authority()] }

    /// A message's metadata (never its content) is kept 30 days; inbound media and repeatability answers less.
    public static let metadataRetention: Duration = .seconds(30 * 86_400)
    public static let mediaRetention: Duration = .seconds(7 * 86_400)
    public static let sandboxRetention: Duration = .seconds(86_400)

    public let service: MessagesService
    let api: MessagesAPI
    let webhook: WhatsAppWebhookRoutes
    let accessKey: any Authenticator

    public init(platform: Platform) {
        service = MessagesService(
            changes: platform.changes, events: platform.events, policy: platform.policy, clock: platform.clock,
            cloud: WhatsAppCloudCarrier(http: platform.http, configuration: platform.configuration.whatsapp),
            serverURL: platform.configuration.baseURL())
        api = MessagesAPI(messages: service)
        webhook = WhatsAppWebhookRoutes(service: service, resources: platform.resources)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }
    public var systemRoutes: [SystemRoute] { webhook.routes }
    public var consolePages: [any ConsolePage] { [MessagesConsolePage(messages: service)] }
    public var outboxHandlers: [any OutboxHandler] { [MessagesSendHandler(service: service)] }

    public var retentionRules: [RetentionRule] {
        [
            RetentionRule.eventsOnceDelivered(
                name: "whatsapp.events", data: "Advanced Messages events (a received message's content, a delivery status)",
                types: MessagesEventType.allCases.map(\.rawValue)),
            RetentionRule.expiring(
                "whatsapp.messages", data: "WhatsApp message metadata: ids, kind, status, times, the other party's number (sealed); never content",
                kept: "30 days", table: "whatsapp_messages", column: "created_at", after: Self.metadataRetention),
            RetentionRule.expiring(
                "whatsapp.conversations", data: "When each handset last wrote to each channel (WhatsApp's 24-hour window)", kept: "1 day",
                table: "whatsapp_conversations", column: "last_inbound_at", after: MessagesService.conversationWindow),
            RetentionRule.expiring(
                "whatsapp.media", data: "Media handsets sent (the sandbox's bytes, sealed; the Cloud API's media ids), for download",
                kept: "7 days", table: "whatsapp_media", column: "created_at", after: Self.mediaRetention),
            RetentionRule.expiring(
                "whatsapp.repeatability", data: "The message ids each Repeatability-Request-ID first sent", kept: "1 day",
                table: "whatsapp_repeatability", column: "created_at", after: MessagesService.repeatabilityWindow),
            RetentionRule.expiring(
                "whatsapp.sandbox", data: "What the sandbox captured and its handsets sent (content included, sealed)", kept: "1 day",
                table: "whatsapp_sandbox_messages", column: "created_at", after: Self.sandboxRetention),
        ]
    }

    /// The gate's spoofing check: a WhatsApp sender is one of the resource's registered channels.
    struct Authority: SenderAuthority {
        var channel: MessagingChannel { .whatsapp }

        func owns(_ sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
            guard sender.kind == .whatsappChannel else { return false }
            return try await MessagesStore.channel(sender.value, resource: resource, in: db) != nil
        }
    }
}

/// Delivers queued messages to their channel's carrier (`whatsapp.send`, one lane per channel). Its dead letters keep
/// no content: a message's fate is told by its status.
struct MessagesSendHandler: OutboxHandler {
    let service: MessagesService

    var kind: String { MessagesService.sendKind }
    var retrySchedule: RetrySchedule { RetrySchedule(delays: [.seconds(1), .seconds(5), .seconds(30), .seconds(120), .seconds(600)]) }
    var deadLetters: DeadLetterPolicy { .withoutContent }

    func batchLimit(target: String, resource: ResourceHandle) async -> Int { 20 }

    func deliver(_ items: [OutboxItem], resource: ResourceHandle) async -> [DeliveryResult] {
        var results: [DeliveryResult] = []
        for item in items { results.append(await service.deliver(item, resource: resource)) }
        return results
    }

    func snapshot(_ item: OutboxItem, resource: ResourceHandle) async -> Data? { nil }
}

/// Advanced Messages' part in a person's data, by their number's blind index: the metadata of messages to and from
/// them, their conversations' windows, the media they sent and the sandbox's copies. Erasure deletes them all.
struct MessagesPersonalData: PersonalDataContributor {
    var category: String { "whatsapp" }
    var erasableTables: [String] { MessagesSchema.erasableTables }

    struct Export: Encodable, Sendable {
        struct Message: Encodable, Sendable {
            let messageId: String
            let channelId: String
            let direction: String
            let kind: String
            let status: String
            let createdAt: Date
        }

        let messages: [Message]
        let sandboxMessages: [MessagesStore.SandboxEntry]
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .phoneNumber(let number) = subject else { return nil }
        let resource = tx.resource
        let index = MessagesStore.index(number, resource: resource)
        let messages = try await tx.db.select().columns(MessagesStore.messageColumns).from("whatsapp_messages")
            .where("resource_id", .equal, resource.storageID).where("recipient_index", .equal, SQLBind(index)).orderBy("created_at").all()
            .map { try MessagesStore.decode($0, resource: resource) }
        let sandbox = try await MessagesStore.sandbox(handset: number, before: nil, limit: 100_000, resource: resource, in: tx.db).map { $0.0 }
        guard !messages.isEmpty || !sandbox.isEmpty else { return nil }
        return AnyEncodable(
            Export(
                messages: messages.map {
                    .init(
                        messageId: $0.id, channelId: $0.channelID, direction: $0.direction, kind: $0.kind, status: $0.status,
                        createdAt: $0.createdAt.date)
                }, sandboxMessages: sandbox))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .phoneNumber(let number) = subject else { return [:] }
        let index = SQLBind(MessagesStore.index(number, resource: tx.resource))
        let id = tx.resource.storageID
        let messages = try await tx.db.delete(from: "whatsapp_messages").where("resource_id", .equal, id).where("recipient_index", .equal, index)
            .runCounting()
        let conversations = try await tx.db.delete(from: "whatsapp_conversations").where("resource_id", .equal, id)
            .where("handset_index", .equal, index).runCounting()
        let media = try await tx.db.delete(from: "whatsapp_media").where("resource_id", .equal, id).where("handset_index", .equal, index)
            .runCounting()
        let sandbox = try await tx.db.delete(from: "whatsapp_sandbox_messages").where("resource_id", .equal, id)
            .where("handset_index", .equal, index).runCounting()
        return ["messages": messages, "conversations": conversations, "media": media, "sandboxMessages": sandbox]
    }
}
