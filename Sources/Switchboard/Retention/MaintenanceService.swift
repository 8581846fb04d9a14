import Foundation
import Logging
import Prometheus
import SQLKit
import ServiceLifecycle

/// The periodic work over every store that holds resources: the retention rules every capability contributes (a
/// chat thread's retention policy, the event log's day, finished deliveries), the removal of rows a deleted
/// resource's last requests wrote, and making everything deleted unrecoverable from the files. Safe with several
/// nodes: each rule claims its rows with conditional changes, so two nodes never do the same work twice.
public struct MaintenanceService: Service {
    let runtime: Runtime
    let rules: [RetentionRule]
    /// Tables personal data is erased from outside the rules (a deleted message): reclaimed every pass.
    let erasableTables: [String]
    let interval: Duration
    /// Numbers the events a stopped node left pending (``EventSequencer/sequenceStranded(in:resources:clock:)``).
    let events: EventLog?
    /// Where each rule's passes, failures, durations and counted deletions are exposed (`/-/metrics`).
    let metrics: PrometheusCollectorRegistry?

    public init(
        runtime: Runtime, rules: [RetentionRule], erasableTables: [String], interval: Duration = .seconds(60),
        events: EventLog? = nil, metrics: PrometheusCollectorRegistry? = nil
    ) {
        self.runtime = runtime
        self.rules = rules
        self.erasableTables = erasableTables
        self.interval = interval
        self.events = events
        self.metrics = metrics
    }

    static var passes: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "retention", metricName: "rule_passes", unitName: "total",
            helpText: "Passes of each retention rule over a store, by outcome (ok, failed).")
    }
    static var duration: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "retention", metricName: "rule_duration", unitName: "seconds",
            helpText: "Time each retention rule took over a store.")
    }
    static var deleted: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "switchboard", subsystem: "retention", metricName: "deleted_items", unitName: "total",
            helpText: "Items deleted by the rules that count them (chat threads past their retention policy).")
    }

    func observe(_ rule: RetentionRule, ok: Bool, duration: Duration, deleted: Int) {
        guard let metrics else { return }
        metrics.makeCounter(descriptor: Self.passes, labels: [("rule", rule.name), ("outcome", ok ? "ok" : "failed")]).increment()
        metrics.makeDurationHistogram(descriptor: Self.duration, labels: [("rule", rule.name)], buckets: HTTPMetrics.buckets)
            .recordNanoseconds(duration.nanoseconds)
        if deleted > 0 { metrics.makeCounter(descriptor: Self.deleted, labels: [("rule", rule.name)]).increment(by: Int64(deleted)) }
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sweepOnce()
            try? await cancelWhenGracefulShutdown { try await runtime.clock.sleep(for: interval) }
        }
    }

    /// One pass at the clock's time; returns how many items the rules deleted where they count them.
    @discardableResult
    public func sweepOnce() async -> Int {
        let now = runtime.clock.now
        var deleted = 0
        do {
            let geographies = Set(try await runtime.directory.records().filter { $0.state == .active }.map(\.geography))
            for (geography, store) in await runtime.stores.openStores() {
                let purged = try await runtime.administration.purgeOrphans(in: store)
                if purged > 0 {
                    runtime.logger.notice(
                        "deleted the rows of deleted resources", metadata: ["geography": "\(geography.compactName)", "resources": "\(purged)"])
                }
            }
            for geography in geographies {
                let store = try await runtime.stores.store(for: geography)
                if let events {
                    do {
                        _ = try await events.sequencer.sequenceStranded(in: store, resources: runtime.resources, clock: runtime.clock)
                    } catch {
                        runtime.logger.error(
                            "numbering pending events failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
                    }
                }
                for rule in rules {
                    let started = ContinuousClock.now
                    do {
                        let count = try await rule.sweep(store, now)
                        deleted += count
                        observe(rule, ok: true, duration: ContinuousClock.now - started, deleted: count)
                    } catch {
                        observe(rule, ok: false, duration: ContinuousClock.now - started, deleted: 0)
                        runtime.logger.error(
                            "retention rule failed", metadata: ["rule": "\(rule.name)", "error": "\(DatabaseErrorDescription.describe(error))"])
                    }
                }
                // Erased content leaves dead row versions behind on PostgreSQL until VACUUM reclaims them; doing it
                // every pass keeps that window short (SQLite overwrites in place and only checkpoints its log).
                var seen = Set<String>()
                let tables = (erasableTables + rules.flatMap(\.tables)).filter { seen.insert($0).inserted }
                try await store.reclaimDeletedRows(in: tables, .now)
            }
        } catch {
            runtime.logger.error("maintenance pass failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
        }
        return deleted
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
