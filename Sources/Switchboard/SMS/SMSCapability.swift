import Foundation
import SQLKit
import ServiceLifecycle

/// SMS: the ACS SMS API through the policy gate, the outbox and a carrier (the sandbox unless one is configured),
/// receipts and inbound messages as Event Grid events, keywords, opt-out management, alphanumeric sender ids and the
/// sandbox handsets; its part in a person's data and its lines of the retention table.
public struct SMSCapability: Capability {
    public static var storeMigrations: [Migration] { SMSSchema.migrations }
    public static var resourceTables: [String] { SMSSchema.tables }
    public static var eventProjections: [any EventProjection] { [SMSEventProjection()] }
    public static var personalData: [any PersonalDataContributor] { [SMSPersonalData()] }
    public static var senderAuthorities: [any SenderAuthority] { [SMSService.Authority()] }

    /// What the sandbox handsets received and sent is kept a day.
    public static let sandboxRetention: Duration = .seconds(86_400)
    /// A message's metadata (never its body) is kept 30 days; repeatability ids a day.
    public static let metadataRetention: Duration = .seconds(30 * 86_400)
    public static let repeatabilityRetention: Duration = .seconds(86_400)

    public let service: SMSService
    let smpp: [SMPPCarrier]
    let api: SMSAPI
    let accessKey: any Authenticator

    public init(platform: Platform) {
        let inventory = NumberInventory(directory: platform.runtime.directory)
        let configuration = platform.configuration.sms
        let relay = SMSTrafficRelay(clock: platform.clock)
        smpp = configuration.carriers.map { SMPPCarrier(configuration: $0, sink: relay, logger: platform.logger) }
        let sandbox = SandboxSMSCarrier(changes: platform.changes, delay: configuration.sandboxReceiptDelay)
        var defaults: [Geography: String] = [:]
        for carrier in configuration.carriers { if let geography = carrier.geography { defaults[geography] = carrier.name } }
        service = SMSService(
            changes: platform.changes, events: platform.events, policy: platform.policy, inventory: inventory, resources: platform.resources,
            carriers: SMSCarriers([sandbox] + smpp, inventory: inventory, defaults: defaults), configuration: configuration,
            clock: platform.clock, stores: platform.runtime.stores, serverURL: platform.configuration.baseURL(),
            pace: SMSPace(configuration.pacing))
        relay.connect(service)
        api = SMSAPI(sms: service)
        accessKey = platform.accessKey
    }

    public var consolePages: [any ConsolePage] { [SMSConsolePage(sms: service)] }

    /// The SMPP binds, kept up while the server runs.
    public var services: [any Service] { smpp }

    public var routes: [Route] { api.routes(accessKey: accessKey) }

    public var outboxHandlers: [any OutboxHandler] {
        [
            SMSSubmitHandler(service: service), SMSReceiptTimeoutHandler(service: service), SandboxReceiptHandler(service: service),
            SMSConfirmationHandler(service: service),
        ]
    }

    public var retentionRules: [RetentionRule] {
        [
            Self.eventsRule,
            RetentionRule.expiring(
                "sms.sandbox", data: "What the sandbox handsets received and sent (bodies included)", kept: "1 day",
                table: "sms_sandbox_messages", column: "created_at", after: Self.sandboxRetention),
            RetentionRule.expiring(
                "sms.messages", data: "SMS metadata: ids, status, segment counts, times, the other party's number (sealed); never bodies",
                kept: "30 days", table: "sms_messages", column: "created_at", after: Self.metadataRetention),
            RetentionRule.expiring(
                "sms.carrierIds", data: "The carriers' ids of submitted messages, for their receipts", kept: "30 days", table: "sms_carrier_ids",
                column: "created_at", after: Self.metadataRetention),
            RetentionRule.expiring(
                "sms.repeatability", data: "The first result of each repeatability id", kept: "1 day", table: "sms_repeatability",
                column: "created_at", after: Self.repeatabilityRetention),
        ]
    }

    /// SMS events carry the message's body (a received message) or its other party: once nothing still has to
    /// deliver one, it leaves the event log ("ephemerally processed … and not retained").
    static let eventsRule = RetentionRule.eventsOnceDelivered(
        name: "sms.events", data: "SMS events (a received message's body, a delivery report)", types: SMSEventType.allCases.map(\.rawValue))
}

/// SMS's part in a person's data: the metadata of messages to and from their number, the results remembered for
/// repeatability, and the sandbox's copies. Erasure deletes them all.
struct SMSPersonalData: PersonalDataContributor {
    var category: String { "sms" }
    var erasableTables: [String] { SMSSchema.erasableTables }

    struct Export: Encodable, Sendable {
        struct Message: Encodable, Sendable {
            let messageId: String
            let direction: String
            let sender: String
            let status: String
            let segments: Int
            let createdAt: Date
        }

        let messages: [Message]
        let sandboxMessages: [SandboxInbox.Entry]
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .phoneNumber(let number) = subject else { return nil }
        let index = tx.resource.crypto.blindIndex(number, kind: .phoneNumber)
        let messages = try await tx.db.select().columns(SMSStore.columns).from("sms_messages").where("resource_id", .equal, tx.resource.storageID)
            .where("recipient_index", .equal, index).orderBy("created_at").all().map { try SMSStore.decode($0, resource: tx.resource) }
        let sandbox = try await SandboxInbox.entries(handset: number, before: nil, limit: 100_000, resource: tx.resource, in: tx.db)
        guard !messages.isEmpty || !sandbox.isEmpty else { return nil }
        return AnyEncodable(
            Export(
                messages: messages.map {
                    .init(
                        messageId: $0.id, direction: $0.direction.rawValue, sender: $0.sender, status: $0.status.rawValue, segments: $0.segments,
                        createdAt: $0.createdAt.date)
                }, sandboxMessages: sandbox))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .phoneNumber(let number) = subject else { return [:] }
        let index = tx.resource.crypto.blindIndex(number, kind: .phoneNumber)
        let id = tx.resource.storageID
        let messages = try await tx.db.select().column("id").from("sms_messages").where("resource_id", .equal, id)
            .where("recipient_index", .equal, index).all(decodingColumn: "id", as: String.self)
        for message in messages {
            try await tx.db.delete(from: "sms_carrier_ids").where("resource_id", .equal, id).where("message_id", .equal, message).run()
        }
        let erased = try await tx.db.delete(from: "sms_messages").where("resource_id", .equal, id).where("recipient_index", .equal, index)
            .runCounting()
        let repeatability = try await tx.db.delete(from: "sms_repeatability").where("resource_id", .equal, id)
            .where("recipient_index", .equal, index).runCounting()
        let sandbox = try await tx.db.delete(from: "sms_sandbox_messages").where("resource_id", .equal, id)
            .where("handset_index", .equal, index).runCounting()
        return ["messages": erased, "repeatabilityRecords": repeatability, "sandboxMessages": sandbox]
    }
}
