import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Prometheus
import Synchronization

/// Wraps the server's child channel (HTTP/1.1 with WebSocket upgrades, inside TLS unless disabled) with the edge's
/// protections: connections beyond ``EdgeConfiguration/maxConnections`` are closed as soon as they are accepted, and
/// every other connection gets a ``RequestGuard`` right after its HTTP decoder.
struct GuardedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limits: EdgeConfiguration
    let hosts: AllowedHosts
    let events: EdgeEvents
    let tls: Bool

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        guard events.admit(limit: limits.maxConnections) else {
            // Closing at once frees the descriptor; a client sees the connection reset and retries later.
            return channel.close().flatMapThrowing { throw ConnectionLimitReached() }
        }
        let events = self.events
        channel.closeFuture.whenComplete { _ in events.release() }
        let (limits, hosts, tls) = (self.limits, self.hosts, self.tls)
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let guardHandler = RequestGuard(limits: limits, hosts: hosts, events: events, tls: tls)
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandler(guardHandler, position: .after(decoder.handler))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        // A connection the guard closed before its first request ends the upgrade negotiation with an error that
        // Hummingbird logs as one; the guard has counted it already (`switchboard_http_connections_closed_total`),
        // so a flood of silent connections does not become a flood of error lines.
        var quiet = logger
        quiet.logLevel = max(logger.logLevel, .critical)
        await base.handle(value: value, logger: quiet)
    }
}

extension GuardedChannel: HTTPChannelHandler where Base: HTTPChannelHandler {
    var responder: HTTPChannelHandler.Responder { base.responder }
}

/// A connection accepted beyond ``EdgeConfiguration/maxConnections``.
struct ConnectionLimitReached: Error {}

/// The edge's counts: connections open (checked against the limit) and connections the edge closed, by reason, as
/// `switchboard_http_connections` and `switchboard_http_connections_closed_total{reason}`.
public final class EdgeEvents: Sendable {
    private let open = Atomic<Int>(0)
    private let gauge: Gauge
    private let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.gauge = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "switchboard", subsystem: "http", metricName: "connections", unitName: "",
                helpText: "HTTP connections open."))
    }

    /// Counts a new connection; `false` (and not counted) when `limit` are open already.
    func admit(limit: Int) -> Bool {
        while true {
            let current = open.load(ordering: .relaxed)
            guard current < limit else {
                closed(reason: "limit")
                return false
            }
            if open.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged {
                gauge.set(Int64(current + 1))
                return true
            }
        }
    }

    func release() {
        let now = open.subtract(1, ordering: .relaxed).newValue
        gauge.set(Int64(now))
    }

    /// Counts a connection the edge closed (or refused) for `reason`.
    func closed(reason: String) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "switchboard", subsystem: "http", metricName: "connections_closed", unitName: "total",
                helpText: "HTTP connections the server closed or refused to protect itself, by reason."),
            labels: [("reason", reason)]
        ).increment()
    }
}
