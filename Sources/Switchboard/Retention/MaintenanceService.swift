import Foundation
import Logging
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

    public init(runtime: Runtime, rules: [RetentionRule], erasableTables: [String], interval: Duration = .seconds(60)) {
        self.runtime = runtime
        self.rules = rules
        self.erasableTables = erasableTables
        self.interval = interval
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
                for rule in rules {
                    do {
                        deleted += try await rule.sweep(store, now)
                    } catch {
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
