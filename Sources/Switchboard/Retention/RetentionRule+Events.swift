import SQLKit

extension RetentionRule {
    /// A channel's events that name a person (a recipient, a received body): each leaves the event log once nothing
    /// still has to deliver it — its webhook deliveries delivered, dropped or dead-lettered.
    static func eventsOnceDelivered(name: String, data: String, types: [String]) -> RetentionRule {
        RetentionRule(name: name, data: data, kept: "until their webhook deliveries end (delivered, dropped or dead-lettered)", tables: ["events"]) {
            store, now in
            try await store.transaction { db in
                try await db.raw(
                    """
                    DELETE FROM events WHERE type IN (\(binds: types)) AND created_at < \(bind: now.milliseconds) AND NOT EXISTS (
                    SELECT 1 FROM outbox WHERE outbox.resource_id = events.resource_id AND outbox.correlation_scope = events.correlation_scope
                    AND outbox.correlation_item = events.correlation_item AND outbox.state = \(bind: OutboxState.pending.rawValue))
                    """
                ).run()
            }
            return 0
        }
    }
}
