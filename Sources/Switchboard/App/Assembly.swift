import NIOCore
import AsyncHTTPClient
import Logging
import ServiceLifecycle

/// The platform with its capabilities wired in: the route tables, the delivery workers, the maintenance service
/// and every long-lived service. ``buildApplication(runtime:closesRuntime:additionalRoutes:onServerRunning:)`` puts
/// an HTTP server in front of it; commands that work without a server (`events subscription create`) use it as is;
/// tests read its route table.
public struct Assembly: Sendable {
    public let platform: Platform
    public let capabilities: [any Capability]
    public let routes: RouteTable<Route>
    public let systemRoutes: RouteTable<SystemRoute>
    public let worker: OutboxWorker
    public let maintenance: MaintenanceService
    public let realtimeEndpoint: RealtimeEndpoint
    public let metrics: HTTPMetrics
    /// The web console at `/-/console`.
    public let console: Console

    let ownsHTTPClient: Bool

    /// Wires `capabilities` (every capability of the platform by default) to a platform over `runtime`.
    ///
    /// - Parameter httpClient: the client for calls out; by default one of the assembly's own, shut down with its
    ///   services (or ``shutdown()``).
    public init(
        runtime: Runtime, capabilities types: [any Capability.Type] = Capabilities.all, additionalRoutes: [Route] = [],
        httpClient: HTTPClient? = nil
    ) throws {
        let configuration = runtime.configuration
        let clock = runtime.clock
        let catalog = EventCatalog(types.flatMap { $0.eventProjections })
        let hub = RealtimeHub(catalog: catalog, logger: runtime.logger)
        let work = WorkSignal(clock: clock)
        let personalData = PersonalData(types.flatMap { $0.personalData } + [EventsAndDeliveriesPersonalData()])
        var outbound = HTTPClient.Configuration(redirectConfiguration: .disallow)
        outbound.timeout.connect = .seconds(min(5, max(1, configuration.events.timeout.components.seconds)))
        let userTokens = UserTokenAuthenticator(validator: IdentityTokenValidator(), clock: clock)
        let activity = ConsoleActivity()
        let events = EventLog(
            catalog: catalog, consumers: types.flatMap { $0.eventLogConsumers } + [RealtimeNotification()], logger: runtime.logger)
        let changes = Changes(clock: clock, observers: [hub, work], activity: activity, events: events, logger: runtime.logger)
        let platform = Platform(
            runtime: runtime,
            changes: changes,
            events: events,
            catalog: catalog,
            personalData: personalData,
            accessKey: AccessKeyAuthenticator(clock: clock),
            userTokens: userTokens,
            realtime: hub,
            work: work,
            operationLog: OperationLog(logger: runtime.logger, clock: clock),
            policy: PolicyService(changes: changes, clock: clock, authorities: types.flatMap { $0.senderAuthorities }),
            http: httpClient ?? HTTPClient(eventLoopGroupProvider: .singleton, configuration: outbound),
            webhookConnections: WebhookConnections(configuration: outbound))
        self.ownsHTTPClient = httpClient == nil
        let capabilities = try types.map { try $0.init(platform: platform) }
        self.platform = platform
        self.capabilities = capabilities
        self.metrics = HTTPMetrics()
        self.realtimeEndpoint = RealtimeEndpoint(
            resources: runtime.resources, userTokens: userTokens, hub: hub, catalog: catalog, clock: clock)
        let rules = [RetentionRule.eventLog, .outbox(handlers: capabilities.flatMap(\.outboxHandlers))] + capabilities.flatMap(\.retentionRules)
        self.console = Console(
            access: ConsoleAccess(masterKey: runtime.masterKey, directory: runtime.directory, clock: clock),
            pages: capabilities.flatMap(\.consolePages), runtime: runtime, activity: activity, retention: rules)
        self.routes = RouteTable(
            capabilities.flatMap(\.routes) + RetentionAPI(rules: rules).routes(accessKey: platform.accessKey) + additionalRoutes)
        self.systemRoutes = RouteTable(
            ServerEndpoints(directory: runtime.directory, stores: runtime.stores, metrics: metrics).routes
                + realtimeEndpoint.systemRoutes + capabilities.flatMap(\.systemRoutes) + console.routes)
        self.worker = OutboxWorker(
            runtime: runtime, handlers: capabilities.flatMap(\.outboxHandlers), owner: runtime.nodeID, signal: work,
            // A lease is renewed once half of it has passed, so each delivery starts with at least half of it: that
            // half only has to outlast one delivery (with room to record it).
            lease: max(.seconds(180), configuration.events.timeout * 6), activity: activity)
        self.maintenance = MaintenanceService(
            runtime: runtime,
            rules: rules,
            erasableTables: personalData.erasableTables, events: events, metrics: metrics.registry)
    }

    /// The services that run while the server runs. A service group stops its services in reverse order: the
    /// workers first, then what they use (the outgoing HTTP client, real-time sessions).
    public var services: [any Service] {
        (ownsHTTPClient ? [HTTPClientService(client: platform.http)] : [])
            + [
                WebhookConnectionsService(connections: platform.webhookConnections), RealtimeService(hub: platform.realtime),
                ConsoleService(activity: console.activity),
            ]
            + capabilities.flatMap(\.services) + [maintenance, worker]
    }

    /// The capability of type `type`.
    public func capability<C: Capability>(_ type: C.Type) -> C? {
        capabilities.lazy.compactMap { $0 as? C }.first
    }

    /// Releases what the assembly holds when no server ran it (commands): its HTTP clients.
    public func shutdown() async {
        if ownsHTTPClient { try? await platform.http.shutdown() }
        await platform.webhookConnections.shutdown()
    }
}
