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

/// The one place the server is wired: the runtime, the capabilities (``Assembly``) and their routes, the request
/// pipeline, TLS. `serve` and the tests both call it.
///
/// - Parameters:
///   - runtime: the opened master key, directory and stores (``Runtime/open(_:logger:)``).
///   - closesRuntime: whether the application closes the runtime's databases when it shuts down (tests that
///     inspect the stores afterwards pass `false`).
///   - capabilities: the capabilities to serve, every one of the platform's by default.
///   - additionalRoutes: routes served besides Switchboard's own, for embedding and tests.
///   - onServerRunning: called with the bound port once the server listens.
public func buildApplication(
    runtime: Runtime,
    closesRuntime: Bool = true,
    capabilities: [any Capability.Type] = Capabilities.all,
    additionalRoutes: [Route] = [],
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    let configuration = runtime.configuration
    let assembly = try Assembly(runtime: runtime, capabilities: capabilities, additionalRoutes: additionalRoutes)
    let responder = APIResponder(
        routes: assembly.routes, systemRoutes: assembly.systemRoutes, resources: runtime.resources, metrics: assembly.metrics,
        scheme: configuration.scheme, publicURL: configuration.publicURL, operationLog: assembly.platform.operationLog)

    // HTTP/1.1 with WebSocket upgrades for the real-time endpoint, inside TLS unless disabled, behind the edge's
    // guard (connection cap, time limits, answers to malformed requests, allowed hosts).
    let realtime = assembly.realtimeEndpoint
    let tls: TLSConfiguration?
    switch configuration.tls {
    case .disabled:
        tls = nil
    case .development:
        let certificates = DevelopmentCertificates(directory: configuration.dataDirectory)
        try certificates.prepare(hosts: tlsHosts(configuration), now: runtime.clock.now.date)
        tls = try tlsConfiguration(certificate: certificates.serverCertificateFile.path, key: certificates.serverKeyFile.path)
    case .files(let certificate, let key):
        tls = try tlsConfiguration(certificate: certificate, key: key)
    }
    FileDescriptorLimit.raise()
    let edge = configuration.edge
    let hosts = AllowedHosts(configuration)
    let events = EdgeEvents(registry: assembly.metrics.registry)
    let server = HTTPServerBuilder { responder in
        let http = HTTP1WebSocketUpgradeChannel(
            responder: responder,
            configuration: .init(ws: .init(maxFrameSize: 64 * 1024, autoPing: .enabled(timePeriod: .seconds(30))))
        ) { request, _, logger in
            await realtime.shouldUpgrade(request, logger: logger)
        }
        guard let tls else { return GuardedChannel(base: http, limits: edge, hosts: hosts, events: events, tls: false) }
        return GuardedChannel(base: try TLSChannel(http, tlsConfiguration: tls), limits: edge, hosts: hosts, events: events, tls: true)
    }

    return Application(
        responder: responder,
        server: server,
        configuration: ApplicationConfiguration(
            address: .hostname(configuration.host, port: configuration.port), serverName: "Switchboard"),
        // The databases close last, after every service that uses them has stopped.
        services: (closesRuntime ? [RuntimeService(runtime: runtime)] : []) + assembly.services,
        onServerRunning: { channel in
            await onServerRunning(channel.localAddress?.port ?? configuration.port)
        },
        logger: runtime.logger)
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
