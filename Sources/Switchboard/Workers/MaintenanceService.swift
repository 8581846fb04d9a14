import Foundation
import SQLKit
import Logging
import ServiceLifecycle

/// Periodic work over every store that holds resources: deleting chat threads whose retention period ended,
/// trimming the event log (a day, plus an hour so no queued delivery outlives its event) and finished outbox rows
/// (delivered after a day, dead letters after a week). Safe with several nodes: each step claims its rows with a conditional change, so two
/// nodes never do the same work twice.
public struct MaintenanceService: Service {
    let runtime: Runtime
    let chat: ChatService
    let interval: Duration
    let eventRetention: Duration

    public init(runtime: Runtime, chat: ChatService, interval: Duration = .seconds(60), eventRetention: Duration = .seconds(25 * 3600)) {
        self.runtime = runtime
        self.chat = chat
        self.interval = interval
        self.eventRetention = eventRetention
    }

    public func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            await sweepOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One pass; returns the number of threads deleted for retention.
    @discardableResult
    public func sweepOnce(now: Timestamp = .now) async -> Int {
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
                deleted += try await deleteExpiredThreads(in: store, now: now)
                let cutoff = Timestamp(milliseconds: now.milliseconds - Int64(eventRetention.components.seconds) * 1000)
                try await store.transaction { db in
                    try await EventLog.trim(olderThan: cutoff, in: db)
                    try await Outbox.trim([.delivered, .dropped], completedBefore: now.adding(seconds: -86_400), in: db)
                    try await Outbox.trim([.dead], completedBefore: now.adding(seconds: -7 * 86_400), in: db)
                }
                if store.engine == .postgres {
                    // Erased content leaves dead row versions behind on PostgreSQL until VACUUM reclaims them; doing
                    // it every pass keeps that window short (SQLite overwrites in place with secure_delete).
                    try await store.read { db in try await db.raw("VACUUM chat_messages, chat_threads, events, outbox").run() }
                }
            }
        } catch {
            runtime.logger.error("maintenance pass failed", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
        }
        return deleted
    }

    func deleteExpiredThreads(in store: any Database, now: Timestamp) async throws -> Int {
        var deleted = 0
        while true {
            let expired = try await store.read { db in try await ChatStore.expiredThreads(db, now: now, limit: 100) }
            guard !expired.isEmpty else { return deleted }
            var handled = 0
            for (resourceID, thread) in expired {
                // A resource being deleted takes its threads with it; they are not this pass's to delete.
                guard let id = UUID(uuidString: resourceID), let resource = try await runtime.resources.handle(id: id) else { continue }
                try await chat.deleteThread(thread, by: nil, in: resource, transactionID: nil)
                runtime.logger.info("deleted a chat thread at the end of its retention period", metadata: ["resource": "\(resource.name)"])
                handled += 1
            }
            deleted += handled
            // A short batch was the last; a batch with nothing this node could delete would only come back again.
            if expired.count < 100 || handled == 0 { return deleted }
        }
    }
}

extension Task where Success == Never, Failure == Never {
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
