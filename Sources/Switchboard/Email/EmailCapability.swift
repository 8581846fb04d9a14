import DNSClient
import Foundation
import Logging
import SMTP
import SQLKit
import ServiceLifecycle

/// Email: the ACS Email API as a long-running operation through the policy gate, the suppression lists, the outbox
/// and a carrier (the sandbox unless SMTP is configured); domains with DKIM keys and DNS verification, sender
/// usernames, one-click unsubscribe, delivery reports as Event Grid events; its part in a person's data and its
/// lines of the retention table.
public struct EmailCapability: Capability {
    public static var storeMigrations: [Migration] { EmailSchema.migrations }
    public static var resourceTables: [String] { EmailSchema.tables }
    public static var eventProjections: [any EventProjection] { [EmailEventProjection(), EmailEngagementProjection()] }
    public static var personalData: [any PersonalDataContributor] { [EmailPersonalData()] }
    public static var senderAuthorities: [any SenderAuthority] { [EmailService.Authority()] }

    /// What the sandbox mailbox captured is kept a day.
    public static let sandboxRetention: Duration = .seconds(86_400)
    /// A send's metadata (never its content) is kept 30 days.
    public static let metadataRetention: Duration = .seconds(30 * 86_400)

    public let service: EmailService
    let api: EmailAPI
    let unsubscribe: EmailUnsubscribeRoutes
    let accessKey: any Authenticator
    let hostname: String
    let logger: Logger

    public init(platform: Platform) throws {
        let configuration = platform.configuration.email
        let resolver: DNSResolverConfiguration
        if let text = configuration.dnsResolver {
            do {
                resolver = DNSResolverConfiguration(server: try DNSServerAddress(parsing: text))
            } catch {
                throw ConfigurationError("the DNS resolver '\(text)' is not HOST:PORT (\(error))")
            }
        } else {
            resolver = DNSResolverConfiguration()
        }
        let dns = DNSResolver(configuration: resolver)
        let serverURL = platform.configuration.baseURL()
        let sandbox = SandboxEmailCarrier(changes: platform.changes)
        let outbound = configuration.delivery.map { delivery in
            SMTPEmailCarrier(
                delivery: delivery, dns: dns, hostname: URL(string: serverURL)?.host ?? "localhost", timeouts: SMTPTimeouts(),
                logger: platform.logger)
        }
        service = EmailService(
            changes: platform.changes, events: platform.events, policy: platform.policy, resources: platform.resources,
            configuration: configuration, clock: platform.clock, dns: dns, carriers: EmailCarriers(sandbox: sandbox, outbound: outbound),
            serverURL: serverURL)
        api = EmailAPI(email: service)
        unsubscribe = EmailUnsubscribeRoutes(policy: platform.policy, resources: platform.resources)
        accessKey = platform.accessKey
        hostname = URL(string: serverURL)?.host ?? "localhost"
        logger = platform.logger
    }

    public var consolePages: [any ConsolePage] { [EmailConsolePage(email: service, unsubscribe: unsubscribe)] }

    public var routes: [Route] { api.routes(accessKey: accessKey) }

    public var systemRoutes: [SystemRoute] { unsubscribe.routes + EmailTrackingRoutes(email: service, resources: service.resources).routes }

    public var services: [any Service] {
        let pools: [any Service] = (service.carriers.outbound as? SMTPEmailCarrier).map { [SMTPConnectionPoolService(pool: $0.pool)] } ?? []
        guard let listen = service.configuration.inboundListen else { return pools }
        return pools + [
            EmailInboundService(
                configuration: SMTPServerConfiguration(
                    host: listen.host, port: listen.port, hostname: hostname, maxMessageSize: service.configuration.maxMessageBytes + 1_048_576,
                    maxErrors: 5),
                inbound: EmailInbound(service: service, logger: logger), logger: logger)
        ]
    }

    public var outboxHandlers: [any OutboxHandler] {
        [EmailDeliverHandler(service: service), EmailExpiryHandler(service: service), EmailConfirmationHandler(service: service)]
    }

    public var retentionRules: [RetentionRule] {
        [
            Self.eventsRule,
            RetentionRule.expiring(
                "email.sandbox", data: "What the sandbox mailbox captured (whole messages)", kept: "1 day", table: "email_sandbox_messages",
                column: "created_at", after: Self.sandboxRetention),
            RetentionRule.expiring(
                "email.operations", data: "Email sends: ids, status, the sender, counts and times; never content", kept: "30 days",
                table: "email_operations", column: "created_at", after: Self.metadataRetention),
            RetentionRule.expiring(
                "email.recipients", data: "Each recipient's delivery: status, receiving server, Message-ID, times, the address (sealed)",
                kept: "30 days", table: "email_recipients", column: "created_at", after: Self.metadataRetention),
            RetentionRule.expiring(
                "email.contents", data: "A send's subject, bodies and attachments (sealed)",
                kept: "until every recipient reached a final state (at most the 48-hour retry window)", table: "email_contents",
                column: "created_at", after: service.configuration.retryWindow + .seconds(86_400)),
            RetentionRule.expiring(
                "email.bounceLeases", data: "A hard-bounced address's suppression lease (blind index only)",
                kept: "while the lease runs (24 hours, doubling on repeats, at most 14 days)", table: "email_bounce_leases",
                column: "lease_until", after: .zero),
        ]
    }

    /// Delivery reports name the recipient: once nothing still has to deliver one, it leaves the event log.
    static let eventsRule = RetentionRule.eventsOnceDelivered(
        name: "email.events", data: "Email delivery reports (the recipient's address)", types: EmailEventType.allCases.map(\.rawValue))
}

/// Email's part in a person's data: the deliveries to their address, suppression entries, bounce leases and the
/// sandbox's copies. Erasure deletes them all.
struct EmailPersonalData: PersonalDataContributor {
    var category: String { "email" }
    var erasableTables: [String] { EmailSchema.erasableTables }

    struct Export: Encodable, Sendable {
        struct Delivery: Encodable, Sendable {
            let operationId: String
            let kind: String
            let status: String
            let statusDetails: String?
            let internetMessageId: String?
            let createdAt: Date
        }

        struct Suppression: Encodable, Sendable {
            let domain: String
            let reason: String
            let createdAt: Date
        }

        let deliveries: [Delivery]
        let suppressions: [Suppression]
        let bounceLeaseUntil: Date?
        let sandboxMessages: Int
    }

    func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? {
        guard case .emailAddress(let address) = subject else { return nil }
        let index = tx.resource.crypto.blindIndex(address, kind: .emailAddress)
        let id = tx.resource.storageID
        let deliveries = try await EmailStore.recipients(addressIndex: index, resource: tx.resource, in: tx.db)
        let suppressions = try await tx.db.select().column("*").from("email_suppressions").where("resource_id", .equal, id)
            .where("address_index", .equal, index).all().map { try EmailStore.decodeSuppression($0, resource: tx.resource) }
        let lease = try await EmailStore.leases([index], now: tx.now, resource: tx.resource, in: tx.db)[index]
        let sandbox =
            try await tx.db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("email_sandbox_messages")
            .where("resource_id", .equal, id).where("recipient_index", .equal, index).first(decodingColumn: "n", as: Int.self) ?? 0
        guard !deliveries.isEmpty || !suppressions.isEmpty || lease != nil || sandbox > 0 else { return nil }
        return AnyEncodable(
            Export(
                deliveries: deliveries.map {
                    .init(
                        operationId: $0.operationID, kind: $0.kind.rawValue, status: $0.status.rawValue, statusDetails: $0.statusDetails,
                        internetMessageId: $0.internetMessageID, createdAt: $0.createdAt.date)
                },
                suppressions: suppressions.map { .init(domain: $0.domain, reason: $0.reason, createdAt: $0.createdAt.date) },
                bounceLeaseUntil: lease?.until.date, sandboxMessages: sandbox))
    }

    func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
        guard case .emailAddress(let address) = subject else { return [:] }
        let index = tx.resource.crypto.blindIndex(address, kind: .emailAddress)
        let id = tx.resource.storageID
        var erased: ErasedItems = [:]
        for (name, table, column) in [
            ("deliveries", "email_recipients", "address_index"), ("suppressions", "email_suppressions", "address_index"),
            ("bounceLeases", "email_bounce_leases", "address_index"), ("sandboxMessages", "email_sandbox_messages", "recipient_index"),
        ] {
            erased[name] = try await tx.db.delete(from: table).where("resource_id", .equal, id).where(column, .equal, index).runCounting()
        }
        return erased
    }
}
