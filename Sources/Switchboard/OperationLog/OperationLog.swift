import Foundation
import Logging
import ServiceLifecycle

/// The writer of the operational log for what happens outside a store transaction — API operations and
/// authentication failures: entries are buffered and written in one transaction per store every second
/// (``OperationLogService``), so a request pays no write of its own. What happens inside a transaction (a delivery
/// recorded, a policy decision) is written with it, through ``OperationLogStore``.
///
/// An entry buffered when a node dies is lost, as in any log shipper; the buffer is bounded, and what it drops is
/// counted and reported.
public actor OperationLog {
    private var pending: [(ResourceHandle, OperationLogEntry)] = []
    private var dropped = 0
    let logger: Logger
    let clock: any WallClock
    /// The most entries held between flushes; beyond it the oldest are dropped (a store that cannot be written).
    let capacity: Int

    public init(logger: Logger, clock: any WallClock, capacity: Int = 50_000) {
        self.logger = logger
        self.clock = clock
        self.capacity = capacity
    }

    /// The time to stamp an entry with.
    public nonisolated var now: Timestamp { clock.now }

    /// Buffers `entry` of `resource` for the next flush.
    public func record(_ entry: OperationLogEntry, resource: ResourceHandle) {
        pending.append((resource, entry))
        if pending.count > capacity {
            let excess = pending.count - capacity
            pending.removeFirst(excess)
            dropped += excess
        }
    }

    /// Writes what is buffered: one transaction per store. Entries of a store that cannot be written are kept for
    /// the next flush.
    public func flush() async {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending = []
        if dropped > 0 {
            logger.warning("operational log entries dropped: the buffer was full", metadata: ["entries": "\(dropped)"])
            dropped = 0
        }
        var byGeography: [Geography: [(ResourceHandle, OperationLogEntry)]] = [:]
        for item in batch { byGeography[item.0.geography, default: []].append(item) }
        for (geography, items) in byGeography {
            guard let store = items.first?.0.store else { continue }
            let byResource = Dictionary(grouping: items, by: { $0.0.id })
            do {
                try await store.transaction { db in
                    for (_, entries) in byResource {
                        guard let resource = entries.first?.0 else { continue }
                        try await OperationLogStore.insert(entries.map(\.1), resource: resource, in: db)
                    }
                }
            } catch {
                logger.error(
                    "writing the operational log failed",
                    metadata: ["geography": "\(geography.compactName)", "error": "\(DatabaseErrorDescription.describe(error))"])
                // Kept for the next flush, ahead of what came since.
                pending = items + pending
            }
        }
    }
}

/// Flushes the operational log every second while the server runs, and once more when it stops.
struct OperationLogService: Service {
    let log: OperationLog
    let clock: any WallClock

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: .seconds(1)) }
            // A flush waiting for an unreachable store gives way to the shutdown (its entries stay buffered).
            await cancelWhenGracefulShutdown { await log.flush() }
        }
        await clock.finishing { await log.flush() }
    }
}
