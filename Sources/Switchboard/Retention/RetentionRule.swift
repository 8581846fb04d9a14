import SQLKit

/// One line of the retention table (DESIGN §4) as behaviour: which data, how long it is kept, and the sweep that
/// deletes it when that time is up. Capabilities contribute their rules (``Capability/retentionRules``); one
/// ``MaintenanceService`` runs them all over every store, so each period is declared once, here, and nowhere else.
public struct RetentionRule: Sendable {
    /// A stable name, for logs (`chat.threadRetentionPolicy`).
    public let name: String
    /// What the rule keeps, in words (the console's retention table).
    public let data: String
    /// How long, in words.
    public let kept: String
    /// The tables it deletes from: made unrecoverable after every pass.
    public let tables: [String]
    /// Deletes what is due in one store at `now`; returns how many items it deleted where it counts them (a bulk
    /// trim of rows reports 0).
    public let sweep: @Sendable (any Database, Timestamp) async throws -> Int

    public init(
        name: String, data: String, kept: String, tables: [String], sweep: @escaping @Sendable (any Database, Timestamp) async throws -> Int
    ) {
        self.name = name
        self.data = data
        self.kept = kept
        self.tables = tables
        self.sweep = sweep
    }
}

extension RetentionRule {
    /// Rows of `table` deleted once `column` (a time in milliseconds) is more than `after` in the past.
    static func expiring(_ name: String, data: String, kept: String, table: String, column: String, after: Duration) -> RetentionRule {
        RetentionRule(name: name, data: data, kept: kept, tables: [table]) { store, now in
            try await store.transaction { db in
                try await db.delete(from: table).where(SQLColumn(column), .lessThan, SQLBind(now.subtracting(after).milliseconds)).run()
            }
            return 0
        }
    }

    /// The event log: a day for real-time resumption and replay, plus an hour so no delivery outlives its event.
    static let eventLog = RetentionRule(
        name: "eventLog", data: "Events (the resource event log)", kept: "25 hours", tables: ["events"]
    ) { store, now in
        try await store.transaction { db in try await EventLog.trim(olderThan: now.subtracting(EventLog.retention), in: db) }
        return 0
    }

    /// Finished outbox rows: delivered and dropped ones for a day (with their attempts, for diagnosis), dead letters
    /// as long as their handler's policy says. Kinds no handler claims keep the default week.
    static func outbox(handlers: [any OutboxHandler]) -> RetentionRule {
        let policies = handlers.map { ($0.kind, $0.deadLetters.retention) }
        return RetentionRule(
            name: "outbox", data: "Deliveries (the outbox) and their attempts",
            kept: "until delivered or given up; then a day, and dead letters as long as their channel keeps them (webhooks: 7 days)",
            tables: ["outbox", "outbox_attempts"]
        ) { store, now in
            try await store.transaction { db in
                try await Outbox.trim(kind: nil, [.delivered, .dropped], completedBefore: now.subtracting(Outbox.completedRetention), in: db)
                for (kind, retention) in policies {
                    try await Outbox.trim(kind: kind, [.dead], completedBefore: now.subtracting(retention), in: db)
                }
                try await Outbox.trim(kind: nil, [.dead], completedBefore: now.subtracting(DeadLetterPolicy.keepForAWeek.retention), in: db)
            }
            return 0
        }
    }
}
