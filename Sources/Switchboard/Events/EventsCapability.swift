/// Event Grid-compatible webhooks: event subscriptions (`/eventSubscriptions`), the fan-out of every logged event
/// to the subscriptions it matches, their delivery with Event Grid's retries, dead letters, replay, and the
/// validation link.
public struct EventsCapability: Capability {
    public static var storeMigrations: [Migration] { EventsSchema.migrations }
    public static var resourceTables: [String] { EventsSchema.tables }
    public static var eventLogConsumers: [any EventLogConsumer] { [WebhookFanout()] }

    public let subscriptions: EventSubscriptionService
    public let deliveries: EventDeliveryService
    let api: EventsAPI
    let handler: WebhookHandler
    let accessKey: any Authenticator

    public init(platform: Platform) {
        let configuration = platform.configuration.events
        let client = WebhookClient(
            connections: platform.webhookConnections, timeout: configuration.timeout, addresses: configuration.addresses)
        subscriptions = EventSubscriptionService(client: client, clock: platform.clock)
        deliveries = EventDeliveryService(changes: platform.changes, catalog: platform.catalog, clock: platform.clock)
        api = EventsAPI(subscriptions: subscriptions, deliveries: deliveries, resources: platform.resources, clock: platform.clock)
        handler = WebhookHandler(client: client, catalog: platform.catalog, retrySchedule: configuration.retrySchedule, clock: platform.clock)
        accessKey = platform.accessKey
    }

    public var routes: [Route] { api.routes(accessKey: accessKey) }
    public var systemRoutes: [SystemRoute] { api.systemRoutes }
    public var consolePages: [any ConsolePage] { [EventsConsolePage(subscriptions: subscriptions, deliveries: deliveries)] }
    public var outboxHandlers: [any OutboxHandler] { [handler] }
}
