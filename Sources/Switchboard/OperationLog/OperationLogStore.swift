import Foundation
import SQLKit

/// The queries over the operational log's tables.
enum OperationLogStore {
    static let callerField = PersonalField(rawValue: "operation_logs.caller")
    static let detailsField = PersonalField(rawValue: "operation_logs.details")
    static let subjectField = PersonalField(rawValue: "operation_logs.subject")
    static let defaultRetentionDays = 30
    static let retentionDays = 1...730

    static func newID(at time: Timestamp) -> String {
        newID(at: time, suffix: UInt64.random(in: 0..<(1 << 48)))
    }

    /// `%013lld-%012llx` of the time and the suffix, without `String(format:)` (a request's entries are written on
    /// the store's writer).
    static func newID(at time: Timestamp, suffix: UInt64) -> String {
        func padded(_ text: String, _ width: Int) -> String {
            text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return padded(String(time.milliseconds), 13) + "-" + padded(String(suffix, radix: 16), 12)
    }

    /// Writes `entries` of `resource` in the caller's transaction.
    static func insert(_ entries: [OperationLogEntry], resource: ResourceHandle, in db: any SQLDatabase) async throws {
        guard !entries.isEmpty else { return }
        var rows: [[any Encodable & Sendable]] = []
        var subjects: [(Data, String)] = []
        for entry in entries {
            let id = newID(at: entry.time)
            // Each of the entry's subjects once (a 100-recipient send names 100).
            var linked = Set<Data>()
            func link(_ index: Data) {
                if linked.insert(index).inserted { subjects.append((index, id)) }
            }
            var callerKind: String?
            var caller: Data?
            switch entry.caller {
            case .accessKey: callerKind = "accessKey"
            case .anonymous: callerKind = "anonymous"
            case .user(let raw):
                callerKind = "user"
                caller = try resource.crypto.seal(raw, field: callerField)
                link(resource.crypto.subjectIndex(.communicationUser(raw)))
            case nil: break
            }
            rows.append([
                resource.storageID, id, entry.category.rawValue, entry.operation, entry.status, entry.duration?.milliseconds, callerKind, caller,
                try resource.crypto.sealIfPresent(entry.subject?.value, field: subjectField),
                try resource.crypto.sealIfPresent(entry.details, field: detailsField), entry.requestID, entry.time.milliseconds,
            ])
            if let subject = entry.subject { link(resource.crypto.subjectIndex(subject)) }
            for index in entry.subjectIndexes { link(index) }
        }
        // Written out (see WrittenOutSQL.swift): a 100-recipient send's entry links 100 subjects.
        try await db.insertRows(
            into: "operation_logs",
            columns: [
                "resource_id", "id", "category", "operation", "status", "duration_ms", "caller_kind", "caller", "subject", "details",
                "request_id", "created_at",
            ], rows)
        try await db.insertRows(
            into: "operation_log_subjects", columns: ["resource_id", "subject_index", "log_id"],
            subjects.map { [resource.storageID, $0.0, $0.1] })
    }

    struct Filter: Sendable {
        var category: OperationLogEntry.Category?
        var start: Timestamp?
        var end: Timestamp?
        var subjectIndex: Data?
        var after: String?
        /// Newest first (the console's recent entries); paging with `after` reads oldest first.
        var newestFirst = false
    }

    static func entries(_ filter: Filter, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [OperationLogView] {
        let query = db.select().columns(
            "id", "category", "operation", "status", "duration_ms", "caller_kind", "caller", "subject", "details", "request_id", "created_at"
        )
        .from("operation_logs").where("resource_id", .equal, resource.storageID)
        if let category = filter.category { query.where("category", .equal, category.rawValue) }
        if let start = filter.start { query.where("created_at", .greaterThanOrEqual, start.milliseconds) }
        if let end = filter.end { query.where("created_at", .lessThan, end.milliseconds) }
        if let after = filter.after { query.where("id", .greaterThan, after) }
        if let index = filter.subjectIndex {
            let linked = db.select().column("log_id").from("operation_log_subjects").where("resource_id", .equal, resource.storageID)
                .where("subject_index", .equal, index)
            query.where(SQLIdentifier("id"), .in, SQLGroupExpression(linked.query))
        }
        return try await query.orderBy("id", filter.newestFirst ? .descending : .ascending).limit(limit).all().map { row in
            OperationLogView(
                id: try row.decode(column: "id", as: String.self),
                time: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)).date,
                category: try row.decode(column: "category", as: String.self), operation: try row.decode(column: "operation", as: String.self),
                status: try row.decode(column: "status", as: String.self), durationMs: try row.decode(column: "duration_ms", as: Int64?.self),
                callerType: try row.decode(column: "caller_kind", as: String?.self),
                caller: try resource.crypto.openIfPresent(try row.decode(column: "caller", as: Data?.self), field: callerField),
                subject: try resource.crypto.openIfPresent(try row.decode(column: "subject", as: Data?.self), field: subjectField),
                details: try resource.crypto.openIfPresent(try row.decode(column: "details", as: Data?.self), field: detailsField),
                requestId: try row.decode(column: "request_id", as: String?.self))
        }
    }

    /// Deletes every entry that names the person with `index`; returns how many.
    static func purge(subjectIndex index: Data, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        let ids = try await db.select().column("log_id").from("operation_log_subjects").where("resource_id", .equal, resource.storageID)
            .where("subject_index", .equal, index).all(decodingColumn: "log_id", as: String.self)
        var purged = 0
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            purged += try await db.delete(from: "operation_logs").where("resource_id", .equal, resource.storageID).where("id", .in, chunk)
                .runCounting()
            try await db.delete(from: "operation_log_subjects").where("resource_id", .equal, resource.storageID).where("log_id", .in, chunk).run()
        }
        return purged
    }

    static func retentionDays(resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        try await db.select().column("retention_days").from("operation_log_settings").where("resource_id", .equal, resource.storageID)
            .first(decodingColumn: "retention_days", as: Int.self) ?? defaultRetentionDays
    }

    static func setRetentionDays(_ days: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "operation_log_settings").where("resource_id", .equal, resource.storageID).run()
        try await db.insert(into: "operation_log_settings").columns("resource_id", "retention_days")
            .values(SQLBind(resource.storageID), SQLBind(days)).run()
    }

    /// Deletes, in a whole store, entries older than their resource's retention at `now`, at most `limit`; returns
    /// how many.
    static func trim(now: Timestamp, limit: Int, in db: any SQLDatabase) async throws -> Int {
        // A bound 64-bit day: as a literal, PostgreSQL multiplies in 32 bits, and 25 days or more overflow.
        let day: Int64 = 86_400_000
        let retention = SQLFunction(
            "coalesce",
            args: SQLGroupExpression(
                db.select().column("retention_days").from("operation_log_settings")
                    .where(SQLColumn("resource_id", table: "operation_log_settings"), .equal, SQLColumn("resource_id", table: "operation_logs")).query
            ),
            SQLLiteral.numeric("\(defaultRetentionDays)"))
        let due = try await db.select().columns("resource_id", "id").from("operation_logs")
            .where(
                SQLColumn("created_at"), .lessThan,
                SQLBinaryExpression(SQLBind(now.milliseconds), .subtract, SQLBinaryExpression(retention, .multiply, SQLBind(day)))
            )
            .orderBy("created_at").limit(limit).all()
        var byResource: [String: [String]] = [:]
        for row in due {
            byResource[try row.decode(column: "resource_id", as: String.self), default: []].append(try row.decode(column: "id", as: String.self))
        }
        for (resource, ids) in byResource {
            try await db.delete(from: "operation_logs").where("resource_id", .equal, resource).where("id", .in, ids).run()
            try await db.delete(from: "operation_log_subjects").where("resource_id", .equal, resource).where("log_id", .in, ids).run()
        }
        return due.count
    }
}
