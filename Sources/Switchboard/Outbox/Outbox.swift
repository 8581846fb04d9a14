import Foundation
import Synchronization
import SQLKit

/// An outbox row as a worker sees it.
public struct OutboxItem: Sendable {
    public let id: Int64
    public let resourceID: String
    public let kind: String
    public let target: String
    public let reference: Int64?
    public let variant: String?
    public let messageUUID: String
    public let attempts: Int
    public let maxAttempts: Int
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public let payload: Data?
}

/// Where a row goes: one resource's target of one kind (a webhook subscription). A node delivers to a lane one
/// batch after another, and to different lanes at once.
public struct OutboxLane: Hashable, Sendable {
    public let resourceID: String
    public let kind: String
    public let target: String

    var key: String { "\(resourceID)\n\(kind)\n\(target)" }
}

extension OutboxItem {
    public var lane: OutboxLane { OutboxLane(resourceID: resourceID, kind: kind, target: target) }
}

/// A row to write.
public struct NewOutboxItem: Sendable {
    public var kind: String
    public var target: String
    public var reference: Int64?
    public var variant: String?
    public var messageUUID: String
    public var threadID: String?
    public var messageID: String?
    public var actor: String?
    public var maxAttempts: Int
    public var expiresAt: Timestamp
    public var payload: Data?
}

/// The states of an outbox row.
public enum OutboxState: String, Sendable {
    case pending
    case delivered
    /// Given up: rejected by the receiver, out of attempts or past its time to live. Kept for listing and
    /// redelivery.
    case dead
    /// Its content was deleted before it could be delivered (a deleted chat message).
    case dropped
}

/// The queue operations of the outbox.
public enum Outbox {
    static let payloadField = PersonalField(rawValue: "outbox.payload")

    /// Writes rows in the caller's transaction.
    public static func enqueue(_ items: [NewOutboxItem], resource: ResourceHandle, in db: any SQLDatabase, now: Timestamp = .now) async throws {
        if !items.isEmpty { OutboxWrites.current?.record() }
        for item in items {
            try await db.insert(into: "outbox")
                .columns(
                    "resource_id", "kind", "target", "reference", "variant", "message_uuid", "thread_id", "message_id", "actor",
                    "state", "attempts", "max_attempts", "next_attempt_at", "created_at", "expires_at", "payload")
                .values(
                    SQLBind(resource.storageID), SQLBind(item.kind), SQLBind(item.target), SQLBind(item.reference),
                    SQLBind(item.variant), SQLBind(item.messageUUID), SQLBind(item.threadID), SQLBind(item.messageID),
                    SQLBind(item.actor), SQLBind(OutboxState.pending.rawValue), SQLBind(0), SQLBind(item.maxAttempts),
                    SQLBind(now.milliseconds), SQLBind(now.milliseconds), SQLBind(item.expiresAt.milliseconds),
                    SQLBind(try item.payload.map { try resource.crypto.seal(String(decoding: $0, as: UTF8.self), field: payloadField) }))
                .run()
        }
    }

    static let itemColumns = [
        "id", "resource_id", "kind", "target", "reference", "variant", "message_uuid", "attempts", "max_attempts", "created_at",
        "expires_at", "payload",
    ]

    /// Leases up to `limit` due rows to `owner` until `now + lease`. On PostgreSQL rows another node holds are
    /// skipped, so several nodes share the work without attempting a row twice at once. Rows of the lanes in
    /// `excluding` (targets this node is delivering to right now) are left for later.
    public static func claim(
        from database: any Database, owner: String, limit: Int, now: Timestamp, lease: Duration, excluding: Set<OutboxLane> = []
    ) async throws -> [OutboxItem] {
        let leaseUntil = now.adding(milliseconds: lease).milliseconds
        return try await database.transaction { db in
            var sql: SQLQueryString = """
                UPDATE outbox SET lease_until = \(bind: leaseUntil), lease_owner = \(bind: owner)
                WHERE id IN (SELECT id FROM outbox
                             WHERE state = 'pending' AND next_attempt_at <= \(bind: now.milliseconds)
                               AND (lease_until IS NULL OR lease_until < \(bind: now.milliseconds))
                """
            for lane in excluding.sorted(by: { $0.key < $1.key }) {
                sql.appendInterpolation(unsafeRaw: " AND NOT (resource_id = ")
                sql.appendInterpolation(bind: lane.resourceID)
                sql.appendInterpolation(unsafeRaw: " AND kind = ")
                sql.appendInterpolation(bind: lane.kind)
                sql.appendInterpolation(unsafeRaw: " AND target = ")
                sql.appendInterpolation(bind: lane.target)
                sql.appendInterpolation(unsafeRaw: ")")
            }
            sql.appendInterpolation(unsafeRaw: " ORDER BY next_attempt_at, id LIMIT ")
            sql.appendInterpolation(bind: limit)
            if database.engine == .postgres { sql.appendInterpolation(unsafeRaw: " FOR UPDATE SKIP LOCKED") }
            sql.appendInterpolation(unsafeRaw: ") RETURNING id, resource_id, kind, target, reference, variant, message_uuid, attempts, max_attempts, created_at, expires_at, payload")
            return try await db.raw(sql).all().map(decode).sorted { $0.id < $1.id }
        }
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
    }

    /// Records an attempt and moves the row to its next state: delivered, retried at `retryAt`, dead (with a
    /// snapshot of what would have been sent) or dropped. Only the holder of the row's lease records: returns
    /// `false`, and changes nothing, when `owner` no longer holds it (its lease ran out and another node took the
    /// row over, whose own attempt will be recorded instead).
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
        }
        if let snapshot, outcome == .dead {
            update = update.set("payload", to: try resource.crypto.seal(String(decoding: snapshot, as: UTF8.self), field: payloadField))
        }
        let held = try await update.where("id", .equal, item.id).where("lease_owner", .equal, owner)
            .where("attempts", .equal, item.attempts).where("state", .equal, OutboxState.pending.rawValue)
            .returning("id").all()
        guard !held.isEmpty else { return false }
        try await db.insert(into: "outbox_attempts")
            .columns("outbox_id", "attempt", "resource_id", "at", "duration_ms", "status", "error", "node")
            .values(
                SQLBind(item.id), SQLBind(number), SQLBind(item.resourceID), SQLBind(attempt.at.milliseconds),
                SQLBind(Int64(attempt.duration.components.seconds * 1000 + attempt.duration.components.attoseconds / 1_000_000_000_000_000)),
                SQLBind(attempt.status), SQLBind(attempt.error), SQLBind(owner))
            .run()
        return true
    }

    /// Removes rows carrying a deleted message's content, pending or dead.
    public static func removeItems(ofMessage messageID: String, thread: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "outbox").where("resource_id", .equal, resource.storageID)
            .where("thread_id", .equal, thread).where("message_id", .equal, messageID).run()
    }

    /// Removes rows of a deleted thread.
    public static func removeItems(ofThread thread: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "outbox").where("resource_id", .equal, resource.storageID).where("thread_id", .equal, thread).run()
    }

    /// Removes rows a deleted identity caused.
    public static func removeItems(ofActor actor: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "outbox").where("resource_id", .equal, resource.storageID).where("actor", .equal, actor).run()
    }

    /// Deletes rows in `states` (and their attempts) completed before `cutoff`.
    public static func trim(_ states: [OutboxState], completedBefore cutoff: Timestamp, in db: any SQLDatabase) async throws {
        let names = states.map(\.rawValue)
        try await db.delete(from: "outbox_attempts")
            .where(
                SQLIdentifier("outbox_id"), .in,
                SQLGroupExpression(
                    db.select().column("id").from("outbox").where("state", .in, names)
                        .where("completed_at", .lessThan, cutoff.milliseconds).query))
            .run()
        try await db.delete(from: "outbox").where("state", .in, names).where("completed_at", .lessThan, cutoff.milliseconds).run()
    }

    static func decode(_ row: any SQLRow) throws -> OutboxItem {
        OutboxItem(
            id: try row.decode(column: "id", as: Int64.self),
            resourceID: try row.decode(column: "resource_id", as: String.self),
            kind: try row.decode(column: "kind", as: String.self),
            target: try row.decode(column: "target", as: String.self),
            reference: try row.decode(column: "reference", as: Int64?.self),
            variant: try row.decode(column: "variant", as: String?.self),
            messageUUID: try row.decode(column: "message_uuid", as: String.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            maxAttempts: try row.decode(column: "max_attempts", as: Int.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            expiresAt: Timestamp(milliseconds: try row.decode(column: "expires_at", as: Int64.self)),
            payload: try row.decode(column: "payload", as: Data?.self))
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

    public static func deadLetters(target: String, kind: String, resource: ResourceHandle, limit: Int, in db: any SQLDatabase) async throws
        -> [DeadLetter]
    {
        try await db.select().columns(itemColumns + ["completed_at", "last_status", "last_error"]).from("outbox")
            .where("resource_id", .equal, resource.storageID).where("kind", .equal, kind).where("target", .equal, target)
            .where("state", .equal, OutboxState.dead.rawValue)
            .orderBy("completed_at", .descending).limit(limit)
            .all().map { row in
                DeadLetter(
                    item: try decode(row),
                    completedAt: try row.decode(column: "completed_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
                    lastStatus: try row.decode(column: "last_status", as: Int?.self),
                    lastError: try row.decode(column: "last_error", as: String?.self))
            }
    }

    /// Puts dead-lettered rows of a target back in the queue (all of them, or those with the given message ids),
    /// with `attempts` more attempts and a fresh time to live; returns how many.
    public static func redeliver(
        target: String, kind: String, messageUUIDs: [String]?, attempts: Int, timeToLive: Duration, resource: ResourceHandle,
        in db: any SQLDatabase, now: Timestamp = .now
    ) async throws -> Int {
        var query = db.update("outbox")
            .set("state", to: OutboxState.pending.rawValue)
            .set(SQLIdentifier("max_attempts"), to: SQLRaw("attempts + \(attempts)"))
            .set("next_attempt_at", to: now.milliseconds)
            .set("expires_at", to: now.adding(milliseconds: timeToLive).milliseconds)
            .set("completed_at", to: SQLLiteral.null)
            .where("resource_id", .equal, resource.storageID).where("kind", .equal, kind).where("target", .equal, target)
            .where("state", .equal, OutboxState.dead.rawValue)
        if let messageUUIDs {
            guard !messageUUIDs.isEmpty else { return 0 }
            query = query.where("message_uuid", .in, messageUUIDs)
        }
        return try await query.returning("id").all().count
    }
}

/// Notes, for the code that runs a transaction, whether the transaction queued outbox rows, so that workers are
/// woken after the commit only when there is work for them.
public final class OutboxWrites: Sendable {
    @TaskLocal public static var current: OutboxWrites?
    private let queued = Mutex(false)

    func record() { queued.withLock { $0 = true } }

    /// Runs `body` (a transaction) and tells whether it queued outbox rows.
    public static func tracking<T: Sendable>(_ body: () async throws -> T) async rethrows -> (T, Bool) {
        let writes = OutboxWrites()
        let result = try await $current.withValue(writes) { try await body() }
        return (result, writes.queued.withLock { $0 })
    }
}
