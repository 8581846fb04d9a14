import Foundation
import SQLKit

/// An event as appended to a resource's event log.
public struct LoggedEvent: Sendable {
    /// Position in the resource's log; increases with every event, in commit order.
    public let id: Int64
    public let type: String
    public let threadID: String?
    public let messageID: String?
    /// The user whose action or content the event carries (see ``NewEvent/actor``).
    public var actor: String? = nil
    /// The users the event is for (raw ids); real-time sessions of other users never see it.
    public let recipients: [String]
    /// The event's data as JSON (decrypted).
    public let data: Data
    public let createdAt: Timestamp
}

/// An event to append.
public struct NewEvent: Sendable {
    public var type: String
    public var threadID: String?
    public var messageID: String?
    /// The user whose action or content the event carries; their deletion removes it.
    public var actor: String?
    public var recipients: [String]
    public var data: Data

    public init(
        type: String, threadID: String? = nil, messageID: String? = nil, actor: String? = nil, recipients: [String],
        data: Data
    ) {
        self.type = type
        self.threadID = threadID
        self.messageID = messageID
        self.actor = actor
        self.recipients = recipients
        self.data = data
    }
}

/// Appends to and reads the event log of a resource.
///
/// Event ids come from a per-resource counter row updated in the appending transaction, so ids are handed out in
/// commit order: a reader that has seen id N has seen every committed event below N. That is what lets a
/// real-time client resume from the last id it saw without losing anything.
public enum EventLog {
    static let dataField = PersonalField(rawValue: "events.data")

    /// Appends events in the caller's transaction; returns their ids.
    @discardableResult
    public static func append(_ events: [NewEvent], resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [Int64]
    {
        guard !events.isEmpty else { return [] }
        let count = Int64(events.count)
        let last = try await db.raw(
            """
            INSERT INTO event_counters (resource_id, last_id) VALUES (\(bind: resource.storageID), \(bind: count))
            ON CONFLICT (resource_id) DO UPDATE SET last_id = event_counters.last_id + \(bind: count)
            RETURNING last_id
            """
        ).first(decodingColumn: "last_id", as: Int64.self) ?? count
        let first = last - count + 1
        let now = Timestamp.now
        var ids: [Int64] = []
        for (offset, event) in events.enumerated() {
            let id = first + Int64(offset)
            ids.append(id)
            let recipients = String(decoding: try JSONEncoder().encode(event.recipients), as: UTF8.self)
            try await db.insert(into: "events")
                .columns("resource_id", "id", "type", "thread_id", "message_id", "actor", "recipients", "data", "created_at")
                .values(
                    SQLBind(resource.storageID), SQLBind(id), SQLBind(event.type), SQLBind(event.threadID),
                    SQLBind(event.messageID), SQLBind(event.actor), SQLBind(recipients),
                    SQLBind(try resource.crypto.seal(String(decoding: event.data, as: UTF8.self), field: dataField)),
                    SQLBind(now.milliseconds))
                .run()
        }
        try await WebhookFanout.enqueue(Array(zip(ids, events)).map { (id: $0.0, event: $0.1) }, resource: resource, in: db)
        if db.dialect.name == "postgresql" {
            // Delivered to every node's listener when (and only if) the transaction commits.
            try await db.raw("SELECT pg_notify(\(bind: RealtimeHub.notificationChannel), \(bind: resource.storageID))").run()
        }
        return ids
    }

    /// Events after `id` of the threads `threads` (all threads when `nil`), oldest first.
    public static func events(
        after id: Int64, threads: [String]?, resource: ResourceHandle, limit: Int, in db: any SQLDatabase
    ) async throws -> [LoggedEvent] {
        if let threads, threads.isEmpty { return [] }
        var query = db.select().columns("id", "type", "thread_id", "message_id", "actor", "recipients", "data", "created_at")
            .from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("id", .greaterThan, id)
        if let threads { query = query.where("thread_id", .in, threads) }
        return try await query.orderBy("id").limit(limit).all().map { try decode($0, resource: resource) }
    }

    /// The events with the given ids.
    public static func events(ids: [Int64], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [LoggedEvent] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().columns("id", "type", "thread_id", "message_id", "actor", "recipients", "data", "created_at")
            .from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids)
            .orderBy("id")
            .all().map { try decode($0, resource: resource) }
    }

    /// The last id handed out for the resource (0 if none).
    public static func lastID(resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int64 {
        try await db.select().column("last_id").from("event_counters").where("resource_id", .equal, resource.storageID)
            .first(decodingColumn: "last_id", as: Int64.self) ?? 0
    }

    /// Removes the events that carry a message's content, and the deliveries queued for them.
    public static func removeEvents(ofMessage messageID: String, thread: String, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await Outbox.removeItems(ofMessage: messageID, thread: thread, resource: resource, in: db)
        try await db.delete(from: "events")
            .where("resource_id", .equal, resource.storageID)
            .where("thread_id", .equal, thread)
            .where("message_id", .equal, messageID)
            .run()
    }

    /// Removes every event of a thread except those listed in `keeping`, and the deliveries queued for them.
    public static func removeEvents(ofThread thread: String, keeping: [Int64], resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await Outbox.removeItems(ofThread: thread, resource: resource, in: db)
        var query = db.delete(from: "events")
            .where("resource_id", .equal, resource.storageID)
            .where("thread_id", .equal, thread)
        if !keeping.isEmpty { query = query.where("id", .notIn, keeping) }
        try await query.run()
    }

    /// Removes the events a user caused or whose content they wrote, and the deliveries queued for them.
    public static func removeEvents(ofActor actor: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await Outbox.removeItems(ofActor: actor, resource: resource, in: db)
        try await db.delete(from: "events")
            .where("resource_id", .equal, resource.storageID)
            .where("actor", .equal, actor)
            .run()
    }

    /// Removes entries older than `cutoff` from a whole store.
    public static func trim(olderThan cutoff: Timestamp, in db: any SQLDatabase) async throws {
        try await db.delete(from: "events").where("created_at", .lessThan, cutoff.milliseconds).run()
    }

    static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> LoggedEvent {
        let recipients = try row.decode(column: "recipients", as: String.self)
        let sealed = try row.decode(column: "data", as: Data.self)
        return LoggedEvent(
            id: try row.decode(column: "id", as: Int64.self),
            type: try row.decode(column: "type", as: String.self),
            threadID: try row.decode(column: "thread_id", as: String?.self),
            messageID: try row.decode(column: "message_id", as: String?.self),
            actor: try row.decode(column: "actor", as: String?.self),
            recipients: (try? JSONDecoder().decode([String].self, from: Data(recipients.utf8))) ?? [],
            data: Data(try resource.crypto.open(sealed, field: dataField).utf8),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
    }
}
