import Foundation
import SQLKit

/// The queue operations of the outbox (see ``OutboxSchema`` for the shape of a row).
public enum Outbox {
    static let payloadField = PersonalField(rawValue: "outbox.payload")
    static let snapshotField = PersonalField(rawValue: "outbox.snapshot")

    /// How long delivered and dropped rows are kept, with their attempts, for diagnosis. Dead letters are kept as
    /// long as their handler's ``DeadLetterPolicy`` says.
    public static let completedRetention: Duration = .seconds(86_400)

    /// Queues rows in the change's transaction; the delivery workers are woken once it commits.
    public static func enqueue(_ items: [NewOutboxItem], in tx: Transaction) async throws {
        guard !items.isEmpty else { return }
        try await enqueue(items, resource: tx.resource, now: tx.now, in: tx.db)
        tx.leaves(.outbox)
    }

    /// Writes rows in the caller's transaction, without waking anyone (tools and tests; changes use
    /// ``enqueue(_:in:)``).
    public static func enqueue(_ items: [NewOutboxItem], resource: ResourceHandle, now: Timestamp, in db: any SQLDatabase) async throws {
        guard !items.isEmpty else { return }
        // Written out (see WrittenOutSQL.swift): a send to 100 recipients queues 100 rows.
        try await db.insertRows(
            into: "outbox",
            columns: [
                "resource_id", "kind", "target", "delivery_id", "subject_index", "correlation_scope", "correlation_item", "state",
                "attempts", "max_attempts", "next_attempt_at", "created_at", "expires_at", "payload",
            ],
            try items.map { item in
                [
                    resource.storageID, item.kind, item.target, item.deliveryID, item.subjectIndex ?? item.subject.map(resource.crypto.subjectIndex),
                    item.correlation?.scope, item.correlation?.item, OutboxState.pending.rawValue, 0, item.maxAttempts,
                    max(now, item.notBefore ?? now).milliseconds, now.milliseconds, item.expiresAt.milliseconds,
                    try item.payload.map { try resource.crypto.seal(data: $0, field: payloadField) },
                ]
            })
    }

    static let itemColumns = [
        "id", "resource_id", "kind", "target", "delivery_id", "attempts", "started", "max_attempts", "created_at", "expires_at", "payload",
        "snapshot", "subject_index",
    ]

    /// Leases up to `limit` due rows to `owner` until `now + lease`. On PostgreSQL rows another node holds are
    /// skipped, so several nodes share the work without attempting a row twice at once. Rows of the lanes in
    /// `excluding` (targets this node is delivering to right now) are left for later. With `kinds`, only rows of
    /// those kinds are claimed: a row whose handler this node does not have (a confirmation queued for a channel
    /// not configured yet) waits without taking a place in every claim.
    public static func claim(
        from database: any Database, owner: String, limit: Int, now: Timestamp, lease: Duration, excluding: Set<OutboxLane> = [],
        kinds: [String]? = nil
    ) async throws -> [OutboxItem] {
        if let kinds, kinds.isEmpty { return [] }
        return try await database.transaction { db in
            try await claimStatement(in: db, owner: owner, limit: limit, now: now, lease: lease, excluding: excluding, kinds: kinds)
                .all().map(decode).sorted { $0.id < $1.id }
        }
    }

    /// `UPDATE outbox SET lease… WHERE id IN (SELECT id … due … ORDER BY … LIMIT … [FOR UPDATE SKIP LOCKED]) RETURNING …`.
    static func claimStatement(
        in db: any SQLDatabase, owner: String, limit: Int, now: Timestamp, lease: Duration, excluding: Set<OutboxLane>,
        kinds: [String]? = nil
    ) -> SQLReturningResultBuilder<SQLUpdateBuilder> {
        let due = db.select().column("id").from("outbox")
            .where("state", .equal, OutboxState.pending.rawValue)
        if let kinds { due.where("kind", .in, kinds) }
        due
            .where("next_attempt_at", .lessThanOrEqual, now.milliseconds)
            .where { $0.where("lease_until", .is, SQLLiteral.null).orWhere("lease_until", .lessThan, now.milliseconds) }
        for lane in excluding.sorted(by: { $0.key < $1.key }) {
            due.where(
                SQLNot(
                    SQLGroupExpression(
                        SQLBinaryExpression(
                            SQLBinaryExpression(
                                SQLBinaryExpression(SQLColumn("resource_id"), .equal, SQLBind(lane.resourceID)), .and,
                                SQLBinaryExpression(SQLColumn("kind"), .equal, SQLBind(lane.kind))), .and,
                            SQLBinaryExpression(SQLColumn("target"), .equal, SQLBind(lane.target))))))
        }
        due.orderBy("next_attempt_at").orderBy("id").limit(limit).lockingClause(SQLSkipLocked())
        return db.update("outbox")
            .set("lease_until", to: now.adding(lease).milliseconds)
            .set("lease_owner", to: owner)
            .where(SQLIdentifier("id"), .in, SQLGroupExpression(due.query))
            .returning(itemColumns.map { SQLColumn($0) })
    }

    /// Extends `owner`'s lease on `items` to `until`; returns the ids it still holds (all of them, unless the lease
    /// ran out and another node took a row over).
    public static func renewLeases(of items: [OutboxItem], owner: String, until: Timestamp, in database: any Database) async throws
        -> Set<Int64>
    {
        guard !items.isEmpty else { return [] }
        return try await database.transaction { db in
            Set(
                try await db.update("outbox").set("lease_until", to: until.milliseconds)
                    .where("id", .in, items.map(\.id)).where("lease_owner", .equal, owner)
                    .where("state", .equal, OutboxState.pending.rawValue)
                    .returning("id").all(decodingColumn: "id", as: Int64.self))
        }
    }

    /// Notes that `owner` is about to deliver `items`, before anything is sent: if the node dies before it records
    /// the outcome, the next delivery knows the receiver may already have seen them. Returns the ids it marked: the
    /// rows `owner` still holds and that are still pending (not withdrawn meanwhile, not taken over after a lapsed
    /// lease); only those may be sent.
    @discardableResult
    public static func markStarted(_ items: [OutboxItem], owner: String, in database: any Database) async throws -> Set<Int64> {
        guard !items.isEmpty else { return [] }
        return try await database.transaction { db in
            Set(
                try await db.update("outbox").set("started", to: SQLRaw("started + 1"))
                    .where("id", .in, items.map(\.id)).where("lease_owner", .equal, owner)
                    .where("state", .equal, OutboxState.pending.rawValue)
                    .returning("id").all(decodingColumn: "id", as: Int64.self))
        }
    }

    /// Gives up `owner`'s leases on `items` (work claimed but not started), so any node can take them at once.
    public static func release(_ items: [OutboxItem], owner: String, in database: any Database) async throws {
        guard !items.isEmpty else { return }
        try await database.transaction { db in
            try await db.update("outbox").set("lease_until", to: SQLLiteral.null).set("lease_owner", to: SQLLiteral.null)
                .where("id", .in, items.map(\.id)).where("lease_owner", .equal, owner).run()
        }
    }

    /// Gives up the leases `owner` held before a restart, so its unfinished work is picked up at once.
    public static func releaseLeases(of owner: String, in database: any Database) async throws {
        try await database.transaction { db in
            try await db.update("outbox").set("lease_until", to: SQLLiteral.null).set("lease_owner", to: SQLLiteral.null)
                .where("lease_owner", .equal, owner).where("state", .equal, OutboxState.pending.rawValue).run()
        }
    }

    /// The result of one attempt.
    public struct Attempt: Sendable {
        public var at: Timestamp
        public var duration: Duration
        public var status: Int?
        public var error: String?

        public init(at: Timestamp, duration: Duration, status: Int? = nil, error: String? = nil) {
            self.at = at
            self.duration = duration
            self.status = status
            self.error = error
        }
    }

    /// Records an attempt and moves the row to its next state: retried at `retryAt`, or completed — delivered,
    /// dropped, or dead with the `snapshot` of what it would have sent (when its handler keeps one). A completed row
    /// no longer holds its payload. Only the holder of the row's lease records: returns `false`, and changes nothing,
    /// when `owner` no longer holds it (its lease ran out and another node took the row over, whose own attempt will
    /// be recorded instead).
    @discardableResult
    public static func record(
        _ item: OutboxItem, attempt: Attempt, outcome: OutboxState, retryAt: Timestamp?, snapshot: Data?, resource: ResourceHandle,
        owner: String, in db: any SQLDatabase
    ) async throws -> Bool {
        let number = item.attempts + 1
        var update = db.update("outbox")
            .set("attempts", to: number)
            .set("lease_until", to: SQLLiteral.null)
            .set("lease_owner", to: SQLLiteral.null)
            .set("last_status", to: attempt.status)
            .set("last_error", to: attempt.error)
        switch outcome {
        case .pending:
            update = update.set("next_attempt_at", to: (retryAt ?? attempt.at).milliseconds)
        case .delivered, .dead, .dropped:
            update = update.set("state", to: outcome.rawValue).set("completed_at", to: attempt.at.milliseconds)
                .set("payload", to: SQLLiteral.null)
                .set("snapshot", to: try snapshot.map { try resource.crypto.seal(data: $0, field: snapshotField) })
        }
        let held = try await update.where("id", .equal, item.id).where("lease_owner", .equal, owner)
            .where("attempts", .equal, item.attempts).where("state", .equal, OutboxState.pending.rawValue)
            .returning("id").all()
        guard !held.isEmpty else { return false }
        try await db.insert(into: "outbox_attempts")
            .columns("outbox_id", "attempt", "resource_id", "at", "duration_ms", "status", "error", "node")
            .values(
                SQLBind(item.id), SQLBind(number), SQLBind(item.resourceID), SQLBind(attempt.at.milliseconds),
                SQLBind(attempt.duration.milliseconds), SQLBind(attempt.status), SQLBind(attempt.error), SQLBind(owner)
            )
            .run()
        return true
    }

    /// Records that `items`, tried once more at `attempt`, were delivered: two statements for all of them (the rows
    /// of a carrier's or a webhook's batch). Only rows the owner still leases at the same attempt are recorded.
    public static func recordDelivered(_ items: [OutboxItem], attempt: Attempt, owner: String, in db: any SQLDatabase) async throws {
        for (attempts, group) in Dictionary(grouping: items, by: \.attempts) {
            let number = attempts + 1
            let held = try await db.update("outbox").set("attempts", to: number).set("lease_until", to: SQLLiteral.null)
                .set("lease_owner", to: SQLLiteral.null).set("last_status", to: attempt.status).set("last_error", to: attempt.error)
                .set("state", to: OutboxState.delivered.rawValue).set("completed_at", to: attempt.at.milliseconds)
                .set("payload", to: SQLLiteral.null).set("snapshot", to: SQLLiteral.null)
                .where("id", .in, group.map(\.id)).where("lease_owner", .equal, owner).where("attempts", .equal, attempts)
                .where("state", .equal, OutboxState.pending.rawValue).returning("id").all(decodingColumn: "id", as: Int64.self)
            let recorded = Set(held)
            let rows = group.filter { recorded.contains($0.id) }
            guard !rows.isEmpty else { continue }
            var insert = db.insert(into: "outbox_attempts")
                .columns("outbox_id", "attempt", "resource_id", "at", "duration_ms", "status", "error", "node")
            for item in rows {
                insert = insert.values(
                    SQLBind(item.id), SQLBind(number), SQLBind(item.resourceID), SQLBind(attempt.at.milliseconds),
                    SQLBind(attempt.duration.milliseconds), SQLBind(attempt.status), SQLBind(attempt.error), SQLBind(owner))
            }
            try await insert.run()
        }
    }

    /// Puts `item` off until `until` without counting an attempt (it was marked started and not sent): only the
    /// holder of its lease does.
    public static func postpone(_ item: OutboxItem, until: Timestamp, owner: String, in db: any SQLDatabase) async throws {
        try await db.update("outbox").set("next_attempt_at", to: until.milliseconds).set("lease_until", to: SQLLiteral.null)
            .set("lease_owner", to: SQLLiteral.null).set("started", to: SQLRaw("started - 1"))
            .where("id", .equal, item.id).where("lease_owner", .equal, owner).where("state", .equal, OutboxState.pending.rawValue).run()
    }

    // MARK: Withdrawing

    /// Removes the rows that belong to `correlation` (to its scope and every item in it when it names no item),
    /// whatever their state: their content was deleted, so nothing of it may be delivered, listed or redelivered.
    @discardableResult
    public static func withdraw(correlatedWith correlation: Correlation, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await withdraw(scopes: [correlation.scope], items: correlation.item.map { [$0] }, resource: resource, in: db)
    }

    /// ``withdraw(correlatedWith:resource:in:)`` for many scopes at once, in one statement: the rows of every scope in
    /// `scopes` whose item is one of `items` (every item when `nil`).
    @discardableResult
    public static func withdraw(scopes: [String], items: [String]?, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        guard !scopes.isEmpty else { return 0 }
        return try await delete(in: db) { rows in
            rows.where("resource_id", .equal, resource.storageID).where("correlation_scope", .in, scopes)
            if let items { rows.where("correlation_item", .in, items) }
        }
    }

    /// Removes the rows that concern `subject`, whatever their state; returns how many.
    @discardableResult
    public static func withdraw(concerning subject: SubjectIdentifier, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await delete(in: db) { rows in
            rows.where("resource_id", .equal, resource.storageID).where("subject_index", .equal, resource.crypto.subjectIndex(subject))
        }
    }

    /// Removes the rows of one lane (a deleted webhook subscription), whatever their state.
    public static func withdraw(kind: String, target: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await delete(in: db) { rows in
            rows.where("resource_id", .equal, resource.storageID).where("kind", .equal, kind).where("target", .equal, target)
        }
    }

    /// Deletes the rows `filter` selects and their attempts. The attempts must go with them: SQLite hands a deleted
    /// row's id out again, and a new row finding the old row's attempts could never record its own.
    @discardableResult
    static func delete(in db: any SQLDatabase, where filter: (any SQLPredicateBuilder) -> Void) async throws -> Int {
        let ids = db.select().column("id").from("outbox")
        filter(ids)
        try await db.delete(from: "outbox_attempts").where(SQLIdentifier("outbox_id"), .in, SQLGroupExpression(ids.query)).run()
        let rows = db.delete(from: "outbox")
        filter(rows)
        return try await rows.runCounting()
    }

    /// What is queued or kept for `subject` (for a person's export): kinds, targets, states and times, never
    /// payloads.
    public static func items(concerning subject: SubjectIdentifier, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [(kind: String, target: String, state: String, createdAt: Timestamp)]
    {
        try await db.select().columns("kind", "target", "state", "created_at").from("outbox")
            .where("resource_id", .equal, resource.storageID)
            .where("subject_index", .equal, resource.crypto.subjectIndex(subject))
            .orderBy("id").all().map { row in
                (
                    try row.decode(column: "kind", as: String.self), try row.decode(column: "target", as: String.self),
                    try row.decode(column: "state", as: String.self),
                    Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))
                )
            }
    }

    /// Deletes rows of `kind` (every kind when `nil`) in `states`, and their attempts, completed before `cutoff`.
    public static func trim(kind: String?, _ states: [OutboxState], completedBefore cutoff: Timestamp, in db: any SQLDatabase) async throws {
        let names = states.map(\.rawValue)
        try await delete(in: db) { rows in
            rows.where("state", .in, names).where("completed_at", .lessThan, cutoff.milliseconds)
            if let kind { rows.where("kind", .equal, kind) }
        }
    }

    static func decode(_ row: any SQLRow) throws -> OutboxItem {
        OutboxItem(
            id: try row.decode(column: "id", as: Int64.self),
            resourceID: try row.decode(column: "resource_id", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            target: try row.decode(column: "target", as: String.self),
            deliveryID: try row.decode(column: "delivery_id", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            started: try row.decode(column: "started", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Timestamp(milliseconds: try row.decode(column: "expires_at", as: Int64.self)),
            sealedPayload: try row.decode(column: "payload", as: Data?.self),
            sealedSnapshot: try row.decode(column: "snapshot", as: Data?.self),
            subjectIndex: try row.decode(column: "subject_index", as: Data?.self))
    }
}

extension Outbox {
    /// A dead-lettered row, for listing.
    public struct DeadLetter: Sendable {
        public let item: OutboxItem
        public let completedAt: Timestamp?
        public let lastStatus: Int?
        public let lastError: String?
    }

    /// The newest dead letters of one lane, snapshots opened.
    public static func deadLetters(target: String, kind: String, resource: ResourceHandle, limit: Int, in db: any SQLDatabase) async throws
        -> [DeadLetter]
    {
        try await db.select().columns(itemColumns + ["completed_at", "last_status", "last_error"]).from("outbox")
            .where("resource_id", .equal, resource.storageID).where("kind", .equal, kind).where("target", .equal, target)
            .where("state", .equal, OutboxState.dead.rawValue)
            .orderBy("completed_at", .descending).limit(limit)
            .all().map { row in
                DeadLetter(
                    item: try decode(row).opened(with: resource.crypto),
                    completedAt: try row.decode(column: "completed_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
                    lastStatus: try row.decode(column: "last_status", as: Int?.self),
                    lastError: try row.decode(column: "last_error", as: String?.self))
            }
    }

    /// Puts dead-lettered rows of a lane back in the queue (all of them, or those with the given delivery ids),
    /// with `attempts` more attempts and a fresh time to live; returns how many. They send their snapshot.
    public static func redeliver(
        target: String, kind: String, deliveryIDs: [String]?, attempts: Int, timeToLive: Duration, resource: ResourceHandle,
        now: Timestamp, in db: any SQLDatabase
    ) async throws -> Int {
        if let deliveryIDs, deliveryIDs.isEmpty { return 0 }
        var query = db.update("outbox")
            .set("state", to: OutboxState.pending.rawValue)
            .set(SQLIdentifier("max_attempts"), to: SQLBinaryExpression(SQLColumn("attempts"), .add, SQLBind(attempts)))
            .set("next_attempt_at", to: now.milliseconds)
            .set("expires_at", to: now.adding(timeToLive).milliseconds)
            .set("completed_at", to: SQLLiteral.null)
            .where("resource_id", .equal, resource.storageID).where("kind", .equal, kind).where("target", .equal, target)
            .where("state", .equal, OutboxState.dead.rawValue)
            .where("snapshot", .isNot, SQLLiteral.null)
        if let deliveryIDs { query = query.where("delivery_id", .in, deliveryIDs) }
        return try await query.returning("id").all().count
    }
}

/// `NOT expression`.
struct SQLNot: SQLExpression {
    let expression: any SQLExpression

    init(_ expression: any SQLExpression) { self.expression = expression }

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("NOT ")
        expression.serialize(to: &serializer)
    }
}
