import ServiceLifecycle

/// A capability of the platform — Identity, Chat, Events today; SMS, email, phone numbers, rooms and advanced
/// messages next — and everything it brings, declared in one place so that adding one is a new folder and one
/// line in ``Capabilities/all``.
///
/// What is known before anything runs is static: the store tables and migrations (every command opens stores), how
/// its logged events render, and its part in a person's data. The rest comes from an instance the application
/// builds with the ``Platform``: routes, delivery handlers, retention rules and long-lived services.
public protocol Capability: Sendable {
    /// Its store migrations, with versions unique across the store (``StoreSchema`` orders them).
    static var storeMigrations: [Migration] { get }

    /// The tables that hold its resources' data, keyed by a `resource_id` column: deleting a resource deletes its
    /// rows from each.
    static var resourceTables: [String] { get }

    /// How its logged events render for Event Grid and real-time sessions.
    static var eventProjections: [any EventProjection] { get }

    /// What is told inside the transaction that logs any event (the Events capability fans out webhooks).
    static var eventLogConsumers: [any EventLogConsumer] { get }

    /// Its part in exporting and erasing a person's data.
    static var personalData: [any PersonalDataContributor] { get }

    /// What "the resource owns this sender" means on its channel, for the policy gate's spoofing check.
    static var senderAuthorities: [any SenderAuthority] { get }

    init(platform: Platform) throws

    /// Its operations under a resource's endpoint.
    var routes: [Route] { get }

    /// Its endpoints under `/-/` (public links, pages).
    var systemRoutes: [SystemRoute] { get }

    /// The handlers of the outbox rows it queues (a carrier, webhooks).
    var outboxHandlers: [any OutboxHandler] { get }

    /// Its lines of the retention table.
    var retentionRules: [RetentionRule] { get }

    /// Long-lived work it needs running while the server runs (a carrier's connection).
    var services: [any Service] { get }

    /// Its pages in the web console (a sandbox inbox, a ledger), reading through its own services.
    var consolePages: [any ConsolePage] { get }
}

extension Capability {
    public static var eventProjections: [any EventProjection] { [] }
    public static var eventLogConsumers: [any EventLogConsumer] { [] }
    public static var personalData: [any PersonalDataContributor] { [] }
    public static var senderAuthorities: [any SenderAuthority] { [] }
    public var systemRoutes: [SystemRoute] { [] }
    public var outboxHandlers: [any OutboxHandler] { [] }
    public var retentionRules: [RetentionRule] { [] }
    public var services: [any Service] { [] }
    public var consolePages: [any ConsolePage] { [] }
}

/// The capabilities of the platform, in the order their routes are matched. Adding a capability is adding its
/// type here.
public enum Capabilities {
    public static let all: [any Capability.Type] = [
        IdentityCapability.self,
        ChatCapability.self,
        EventsCapability.self,
        PolicyCapability.self,
        NumbersCapability.self,
        SMSCapability.self,
        EmailCapability.self,
        RoomsCapability.self,
        MessagesCapability.self,
        PrivacyCapability.self,
        OperationLogCapability.self,
    ]

    /// Every capability's event projections.
    public static var eventCatalog: EventCatalog {
        EventCatalog(all.flatMap { $0.eventProjections })
    }
}
