import Foundation
import SQLKit

/// The queries over `privacy_requests` and `privacy_request_subjects`.
enum PrivacyStore {
    struct Request: Sendable {
        let id: String
        let kind: PrivacyService.Kind
        let status: PrivacyService.Status
        let identifierCount: Int
        let tally: PrivacyService.Tally?
        let result: Data?
        let error: String?
        let createdAt: Timestamp
        let startedAt: Timestamp?
        let finishedAt: Timestamp?
    }

    static let archiveField = PersonalField(rawValue: "privacy_requests.result")

    static func insert(
        id: String, kind: PrivacyService.Kind, subjects: [SubjectIdentifier], now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        try await db.insert(into: "privacy_requests")
            .columns("resource_id", "id", "kind", "status", "identifier_count", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(id), SQLBind(kind.rawValue), SQLBind(PrivacyService.Status.notStarted.rawValue),
                SQLBind(subjects.count), SQLBind(now.milliseconds)
            ).run()
        guard kind == .export else { return }
        var seen = Set<Data>()
        for index in subjects.map({ resource.crypto.subjectIndex($0) }) where seen.insert(index).inserted {
            try await db.insert(into: "privacy_request_subjects").columns("resource_id", "request_id", "subject_index")
                .values(SQLBind(resource.storageID), SQLBind(id), SQLBind(index)).run()
        }
    }

    static func request(_ id: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Request? {
        guard
            let row = try await db.select().column("*").from("privacy_requests").where("resource_id", .equal, resource.storageID)
                .where("id", .equal, id).first()
        else { return nil }
        let tally = try row.decode(column: "tally", as: String?.self).flatMap {
            try? JSONDecoder().decode(PrivacyService.Tally.self, from: Data($0.utf8))
        }
        return Request(
            id: try row.decode(column: "id", as: String.self),
            kind: PrivacyService.Kind(rawValue: try row.decode(column: "kind", as: String.self)) ?? .export,
            status: PrivacyService.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .failed,
            identifierCount: try row.decode(column: "identifier_count", as: Int.self), tally: tally,
            result: try row.decode(column: "result", as: Data?.self), error: try row.decode(column: "error", as: String?.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            startedAt: try row.decode(column: "started_at", as: Int64?.self).map(Timestamp.init(milliseconds:)),
            finishedAt: try row.decode(column: "finished_at", as: Int64?.self).map(Timestamp.init(milliseconds:)))
    }

    static func recordProgress(_ id: String, tally: PrivacyService.Tally, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await db.update("privacy_requests").set("status", to: PrivacyService.Status.running.rawValue)
            .set("tally", to: String(decoding: try JSONEncoder().encode(tally), as: UTF8.self))
            .set(SQLColumn("started_at"), to: SQLFunction("coalesce", args: SQLColumn("started_at"), SQLBind(now.milliseconds)))
            .where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
    }

    static func finish(
        _ id: String, status: PrivacyService.Status, result: Data?, tally: PrivacyService.Tally?, error: String?, now: Timestamp,
        resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        var update = db.update("privacy_requests").set("status", to: status.rawValue).set("result", to: SQLBind(result))
            .set("error", to: SQLBind(error)).set("finished_at", to: now.milliseconds)
            .set(SQLColumn("started_at"), to: SQLFunction("coalesce", args: SQLColumn("started_at"), SQLBind(now.milliseconds)))
        if let tally { update = update.set("tally", to: String(decoding: try JSONEncoder().encode(tally), as: UTF8.self)) }
        try await update.where("resource_id", .equal, resource.storageID).where("id", .equal, id).run()
        if result == nil {
            // Nothing was made of the subjects: nothing to erase later either.
            try await db.delete(from: "privacy_request_subjects").where("resource_id", .equal, resource.storageID).where("request_id", .equal, id)
                .run()
        }
    }

    /// Erases the archives of the exports made of `index`'s person; returns how many.
    static func eraseArchives(concerning index: Data, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Int {
        let ids = try await db.select().column("request_id").from("privacy_request_subjects").where("resource_id", .equal, resource.storageID)
            .where("subject_index", .equal, index).all(decodingColumn: "request_id", as: String.self)
        guard !ids.isEmpty else { return 0 }
        let erased = try await db.update("privacy_requests").set("result", to: SQLLiteral.null).where("resource_id", .equal, resource.storageID)
            .where("id", .in, ids).where("result", .isNot, SQLLiteral.null).runCounting()
        try await db.delete(from: "privacy_request_subjects").where("resource_id", .equal, resource.storageID).where("request_id", .in, ids).run()
        return erased
    }

    /// Erases the archives of exports finished before `cutoff` in a whole store, at most `limit` of them; returns
    /// how many.
    static func expireArchives(finishedBefore cutoff: Timestamp, limit: Int, in db: any SQLDatabase) async throws -> Int {
        let due = try await db.select().columns("resource_id", "id").from("privacy_requests").where(
            "kind", .equal, PrivacyService.Kind.export.rawValue
        )
        .where("finished_at", .lessThan, cutoff.milliseconds).where("result", .isNot, SQLLiteral.null).limit(limit).all()
        for row in due {
            let resource = try row.decode(column: "resource_id", as: String.self)
            let id = try row.decode(column: "id", as: String.self)
            try await db.update("privacy_requests").set("result", to: SQLLiteral.null).where("resource_id", .equal, resource)
                .where("id", .equal, id).run()
            try await db.delete(from: "privacy_request_subjects").where("resource_id", .equal, resource).where("request_id", .equal, id).run()
        }
        return due.count
    }

    /// Deletes requests of `kind` finished before `cutoff` in a whole store.
    static func trim(_ kind: PrivacyService.Kind, finishedBefore cutoff: Timestamp, in db: any SQLDatabase) async throws {
        try await db.delete(from: "privacy_requests").where("kind", .equal, kind.rawValue).where("finished_at", .lessThan, cutoff.milliseconds)
            .run()
    }
}
