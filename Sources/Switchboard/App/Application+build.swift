import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle

/// The one place the server is wired: the runtime, the capabilities and their routes, the request pipeline,
/// TLS. `serve` and the tests both call it.
///
/// - Parameters:
///   - runtime: the opened master key, directory and stores (``Runtime/open(_:logger:)``).
///   - closesRuntime: whether the application closes the runtime's databases when it shuts down (tests that
///     inspect the stores afterwards pass `false`).
///   - additionalRoutes: routes served besides Switchboard's own, for embedding and tests.
///   - onServerRunning: called with the bound port once the server listens.
public func buildApplication(
    runtime: Runtime,
    closesRuntime: Bool = true,
    additionalRoutes: [Route] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let configuration = runtime.configuration
    let logger = runtime.logger
    let metrics = HTTPMetrics()

    let hub = RealtimeHub(logger: logger)
    let work = WorkSignal()
    var outboundConfiguration = HTTPClient.Configuration(redirectConfiguration: .disallow)
    outboundConfiguration.timeout.connect = .seconds(min(5, max(1, configuration.webhookTimeout.components.seconds)))
    let outbound = HTTPClient(eventLoopGroupProvider: .singleton, configuration: outboundConfiguration)
    let webhooks = WebhookClient(http: outbound, timeout: configuration.webhookTimeout, addresses: configuration.webhookAddresses)
    let subscriptions = EventSubscriptionService(client: webhooks)
    let identities = IdentityService(deletionHooks: [ChatIdentityDeletion()], invalidationListeners: [hub])
    let chat = ChatService(limits: configuration.chatLimits, notifier: CompositeNotifier([hub, work]))
    let realtime = RealtimeEndpoint(resources: runtime.resources, validator: identities, hub: hub)
    let routes = RouteTable(
        apiRoutes(identities: identities, chat: chat, events: EventsAPI(subscriptions: subscriptions, signal: work)) + additionalRoutes)
    let worker = OutboxWorker(
        runtime: runtime, handlers: [WebhookHandler(client: webhooks)], owner: runtime.nodeID,
        schedule: configuration.webhookRetrySchedule, signal: work,
        // A lease is renewed before each delivery, so it only has to outlast one (with room to record it).
        lease: max(.seconds(90), configuration.webhookTimeout * 3))

    let responder = APIResponder(
        routes: routes,
        resources: runtime.resources,
        tokenValidator: identities,
        system: SystemEndpoints(
            directory: runtime.directory, stores: runtime.stores, metrics: metrics, resources: runtime.resources,
            subscriptions: subscriptions),
        metrics: metrics,
        scheme: configuration.scheme,
        publicURL: configuration.publicURL)

    // HTTP/1.1 with WebSocket upgrades for the real-time endpoint, inside TLS unless disabled.
    let http: HTTPServerBuilder = .http1WebSocketUpgrade(
        configuration: .init(ws: .init(maxFrameSize: 64 * 1024, autoPing: .enabled(timePeriod: .seconds(30))))
    ) { request, _, logger in
        await realtime.shouldUpgrade(request, logger: logger)
    }
    let server: HTTPServerBuilder
    switch configuration.tls {
    case .disabled:
        server = http
    case .development:
        let certificates = DevelopmentCertificates(directory: configuration.dataDirectory)
        try certificates.prepare(hosts: tlsHosts(configuration))
        server = try .tls(
            http,
            tlsConfiguration: try tlsConfiguration(
                certificate: certificates.serverCertificateFile.path, key: certificates.serverKeyFile.path))
    case .files(let certificate, let key):
        server = try .tls(http, tlsConfiguration: try tlsConfiguration(certificate: certificate, key: key))
    }

    return Application(
        responder: responder,
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "Switchboard"),
        // A service group stops its services in reverse order, after the server: the workers first, then what they
        // use (the outgoing HTTP client), and the databases last.
        services: (closesRuntime ? [RuntimeService(runtime: runtime)] : []) + [
            HTTPClientService(client: outbound), RealtimeService(hub: hub), MaintenanceService(runtime: runtime, chat: chat), worker,
        ],
        onServerRunning: { channel in
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: logger)
}

/// Every API route, capability by capability.
func apiRoutes(identities: IdentityService, chat: ChatService, events: EventsAPI) -> [Route] {
    IdentityAPI(identities: identities).routes + ChatAPI(chat: chat).routes + events.routes
}

func tlsHosts(_ configuration: ServerConfiguration) -> [String] {
    var hosts = [configuration.host]
    if let publicURL = configuration.publicURL, let host = URL(string: publicURL)?.host {
        hosts.append(host)
    }
    return hosts
}

func tlsConfiguration(certificate: String, key: String) throws -> TLSConfiguration {
    do {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate)
        let privateKey = try NIOSSLPrivateKey(file: key, format: .pem)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        tls.minimumTLSVersion = .tlsv12
        return tls
    } catch {
        throw ConfigurationError("cannot load the TLS certificate \(certificate) and key \(key): \(error)")
    }
}
