import Foundation
import Logging
import SQLKit

/// Told about events inside the transaction that appends them, so what it writes commits or rolls back with them:
/// webhook fan-out queues deliveries, real-time notification tells other nodes.
public protocol EventLogConsumer: Sendable {
    func appended(_ events: [AppendedEvent], in tx: Transaction) async throws
}

/// The resource event log: every event a capability raises (a chat message sent, a participant added, …) is
/// appended here in the same transaction as the change that caused it. Real-time sessions replay and follow it;
/// webhook deliveries are rendered from it. Appending only appends: who hears about events is the business of
/// the consumers registered with the log.
///
/// Event ids come from a per-resource counter row, so ids are handed out in commit order: a reader that has seen
/// id N has seen every committed event below N. That is what lets a real-time client resume from the last id it saw
/// without losing anything. The counter moves in the appending transaction on SQLite and just after it commits on
/// PostgreSQL (``EventSequencer``).
public struct EventLog: Sendable {
    static let dataField = PersonalField(rawValue: "events.data")

    /// How long events are kept: a day for real-time resumption and replay, plus an hour so that no delivery
    /// queued with Event Grid's longest time to live (a day) outlives the event it renders.
    public static let retention: Duration = .seconds(25 * 3600)

    let catalog: EventCatalog
    let consumers: [any EventLogConsumer]
    /// Numbers events after their transaction commits, where writers commit concurrently (``EventSequencer``).
    let sequencer: EventSequencer

    public init(catalog: EventCatalog, consumers: [any EventLogConsumer], logger: Logger = Logger(label: "switchboard.events")) {
        self.catalog = catalog
        self.consumers = consumers
        self.sequencer = EventSequencer(catalog: catalog, consumers: consumers, logger: logger)
    }

    /// Appends events in the change's transaction.
    ///
    /// With one writer (SQLite) they take their ids from the resource's counter here and go to the consumers in
    /// this transaction. Where writers commit concurrently (PostgreSQL) they are written pending, and ``Changes``
    /// has them numbered and handed to the consumers once the transaction has committed (``EventSequencer``); either
    /// way, when the change returns they are in the log.
    public func append(_ events: [NewEvent], in tx: Transaction) async throws {
        guard !events.isEmpty else { return }
        let resource = tx.resource
        let sequencedAfterCommit = tx.db.dialect.hasConcurrentWriters
        let first = sequencedAfterCommit ? 0 : try await Self.reserveIDs(events.count, in: tx)
        var appended: [AppendedEvent] = []
        // One statement for all of them (a batch of receipts appends dozens), written out (see WrittenOutSQL.swift):
        // every change that raises an event runs it.
        var insert: SQLQueryString = """
            INSERT INTO events (resource_id, id, type, correlation_scope, correlation_item, subject_index, recipients, data, created_at)
            VALUES
            """
        for (offset, event) in events.enumerated() {
            let header = EventHeader(id: first + Int64(offset), type: event.type, recipients: event.recipients, createdAt: tx.now)
            let data = try resource.crypto.seal(data: try JSONBody.encoder.encode(event.payload), field: Self.dataField)
            let recipients = String(decoding: try JSONBody.encoder.encode(event.recipients), as: UTF8.self)
            let subjectIndex = event.subject.map(resource.crypto.subjectIndex)
            let id: any SQLExpression = sequencedAfterCommit ? SQLPendingEventID() : SQLBind(header.id)
            insert += offset == 0 ? " " : ", "
            insert += """
                (\(bind: resource.storageID), \(id), \(bind: event.type), \(bind: event.correlation?.scope), \(bind: event.correlation?.item),
                 \(bind: subjectIndex), \(bind: recipients), \(bind: data), \(bind: tx.now.milliseconds))
                """
            appended.append(
                AppendedEvent(
                    header: header, payload: event.payload, correlation: event.correlation, subjectIndex: subjectIndex,
                    projection: catalog.projection(for: event.type)))
        }
        try await tx.db.raw(insert).run()
        if sequencedAfterCommit {
            tx.leaves(.pendingEvents)
        } else {
            try await Self.handOver(appended, to: consumers, in: tx)
        }
    }

    /// Moves the resource's counter on by `count`, locking its row until the transaction ends; returns the first of
    /// the ids reserved.
    static func reserveIDs(_ count: Int, in tx: Transaction) async throws -> Int64 {
        let count = Int64(count)
        let last =
            try await tx.db.raw(
                """
                INSERT INTO event_counters (resource_id, last_id) VALUES (\(bind: tx.resource.storageID), \(bind: count))
                ON CONFLICT (resource_id) DO UPDATE SET last_id = event_counters.last_id + \(bind: count)
                RETURNING last_id
                """
            ).first(decodingColumn: "last_id", as: Int64.self) ?? count
        return last - count + 1
    }

    /// Hands numbered events to the consumers, in the transaction that numbered them.
    static func handOver(_ appended: [AppendedEvent], to consumers: [any EventLogConsumer], in tx: Transaction) async throws {
        for consumer in consumers {
            try await consumer.appended(appended, in: tx)
        }
        tx.leaves(.events)
    }

    // MARK: Reading

    static let columns = ["id", "type", "recipients", "data", "created_at", "correlation_scope", "correlation_item", "subject_index"]

    /// Events after `id` with the given correlation scopes (all events when `nil`), oldest first.
    public static func events(
        after id: Int64, scopes: [String]?, resource: ResourceHandle, limit: Int, in db: any SQLDatabase
    ) async throws -> [LoggedEvent] {
        if let scopes, scopes.isEmpty { return [] }
        var query = db.select().columns(columns)
            .from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("id", .greaterThan, id)
        if let scopes { query = query.where("correlation_scope", .in, scopes) }
        return try await query.orderBy("id").limit(limit).all().map { try decode($0, resource: resource) }
    }

    /// The events with the given ids.
    public static func events(ids: [Int64], resource: ResourceHandle, in db: any SQLDatabase) async throws -> [LoggedEvent] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().columns(columns)
            .from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids)
            .orderBy("id")
            .all().map { try decode($0, resource: resource) }
    }

    /// Events logged since `since`, oldest first, up to `limit`.
    public static func events(since: Timestamp, resource: ResourceHandle, limit: Int, in db: any SQLDatabase) async throws -> [LoggedEvent] {
        try await db.select().columns(columns)
            .from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("created_at", .greaterThanOrEqual, since.milliseconds)
            .orderBy("id").limit(limit)
            .all().map { try decode($0, resource: resource) }
    }

    /// The last id handed out for the resource (0 if none).
    public static func lastID(resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int64 {
        try await db.select().column("last_id").from("event_counters").where("resource_id", .equal, resource.storageID)
            .first(decodingColumn: "last_id", as: Int64.self) ?? 0
    }

    /// The oldest id the log still holds for the resource; `nil` when it holds none.
    public static func oldestID(resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int64? {
        try await db.select().column(SQLFunction("MIN", args: SQLColumn("id")), as: "oldest").from("events")
            .where("resource_id", .equal, resource.storageID).where("id", .greaterThan, 0)
            .first(decodingColumn: "oldest", as: Int64?.self) ?? nil
    }

    // MARK: Removing

    /// Removes the events that belong to `correlation` (to its scope and every item in it when it names no item),
    /// except those in `keeping`.
    public static func remove(correlatedWith correlation: Correlation, keeping: [Int64] = [], resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        var query = db.delete(from: "events")
            .where("resource_id", .equal, resource.storageID)
            .where("correlation_scope", .equal, correlation.scope)
        if let item = correlation.item { query = query.where("correlation_item", .equal, item) }
        if !keeping.isEmpty { query = query.where("id", .notIn, keeping) }
        try await query.run()
    }

    /// Removes the events whose action or content belongs to `subject`.
    @discardableResult
    public static func remove(concerning subject: SubjectIdentifier, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await db.delete(from: "events")
            .where("resource_id", .equal, resource.storageID)
            .where("subject_index", .equal, resource.crypto.subjectIndex(subject))
            .runCounting()
    }

    /// Takes `user` (a raw id) out of the recipients of the events that remain for others (another participant's
    /// message in a thread they were in); returns how many events changed. Their id must not outlive them in the log.
    @discardableResult
    public static func removeRecipient(_ user: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        let encoded = String(decoding: try JSONBody.encoder.encode(user), as: UTF8.self)
        let rows = try await db.select().columns("id", "recipients").from("events").where("resource_id", .equal, resource.storageID)
            .where("recipients", .like, "%\(encoded)%").all()
        var changed = 0
        for row in rows {
            let recipients = try JSONBody.decoder.decode([String].self, from: Data(try row.decode(column: "recipients", as: String.self).utf8))
            guard recipients.contains(user) else { continue }
            changed += 1
            let remaining = String(decoding: try JSONBody.encoder.encode(recipients.filter { $0 != user }), as: UTF8.self)
            try await db.update("events").set("recipients", to: remaining).where("resource_id", .equal, resource.storageID)
                .where("id", .equal, try row.decode(column: "id", as: Int64.self)).run()
        }
        return changed
    }

    /// The events whose action or content belongs to `subject` (for a person's export).
    public static func events(concerning subject: SubjectIdentifier, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [LoggedEvent]
    {
        try await db.select().columns(columns).from("events")
            .where("resource_id", .equal, resource.storageID)
            .where("subject_index", .equal, resource.crypto.subjectIndex(subject))
            .orderBy("id")
            .all().map { try decode($0, resource: resource) }
    }

    /// Removes entries older than `cutoff` from a whole store.
    public static func trim(olderThan cutoff: Timestamp, in db: any SQLDatabase) async throws {
        try await db.delete(from: "events").where("created_at", .lessThan, cutoff.milliseconds).run()
    }

    static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> LoggedEvent {
        let recipients = try row.decode(column: "recipients", as: String.self)
        let sealed = try row.decode(column: "data", as: Data.self)
        return LoggedEvent(
            header: EventHeader(
                id: try row.decode(column: "id", as: Int64.self),
                type: try row.decode(column: "type", as: String.self),
                recipients: (try? JSONBody.decoder.decode([String].self, from: Data(recipients.utf8))) ?? [],
                createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self))),
            data: try resource.crypto.open(data: sealed, field: dataField),
            correlation: try row.decode(column: "correlation_scope", as: String?.self).map { scope in
                Correlation(scope: scope, item: try row.decode(column: "correlation_item", as: String?.self))
            },
            subjectIndex: try row.decode(column: "subject_index", as: Data?.self))
    }
}

/// `-nextval('event_pending_ids')`: a pending event's id (PostgreSQL; see ``EventSequencer``). Negative, so no reader,
/// which reads ids above a cursor, sees the event until it is numbered; in the order events were appended.
struct SQLPendingEventID: SQLExpression {
    func serialize(to serializer: inout SQLSerializer) {
        serializer.write("-nextval('event_pending_ids')")
    }
}
