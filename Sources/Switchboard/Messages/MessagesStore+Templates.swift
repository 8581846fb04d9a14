import Foundation
import SQLKit

/// A channel's templates: registered here (the sandbox's; no `sync_id`) or a snapshot of Meta's (a Cloud API channel's,
/// each row carrying the id of the sync that wrote it).
extension MessagesStore {
    static func putTemplate(_ template: TemplateModel, channel: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase)
        async throws
    {
        try await db.delete(from: "whatsapp_templates").where("resource_id", .equal, resource.storageID).where("channel_id", .equal, channel)
            .where("name", .equal, template.name).where("language", .equal, template.language).run()
        try await db.insert(into: "whatsapp_templates")
            .columns("resource_id", "channel_id", "name", "language", "status", "content", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(channel), SQLBind(template.name), SQLBind(template.language), SQLBind(template.status),
                SQLBind(try encodedContent(template)), SQLBind(now.milliseconds)
            ).run()
    }

    static func deleteTemplate(_ name: String, language: String, channel: String, resource: ResourceHandle, in db: any SQLDatabase)
        async throws -> Bool
    {
        try await db.delete(from: "whatsapp_templates").where("resource_id", .equal, resource.storageID).where("channel_id", .equal, channel)
            .where("name", .equal, name).where("language", .equal, language).runCounting() > 0
    }

    /// Forgets every template of a channel and when they were synced (its kind or business account changed).
    static func forgetTemplates(channel: String, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        try await db.delete(from: "whatsapp_templates").where("resource_id", .equal, resource.storageID).where("channel_id", .equal, channel)
            .run()
        try await db.update("whatsapp_channels").set("templates_synced_at", to: SQLLiteral.null).where("resource_id", .equal, resource.storageID)
            .where("id", .equal, channel).run()
    }

    /// Replaces a channel's snapshot of Meta's templates with `templates` (unique by name and language) and records
    /// the time. Rows are upserted, then whatever an earlier sync (or a registration) left is deleted, so two syncs
    /// at once leave one of them whole.
    static func replaceSyncedTemplates(
        _ templates: [TemplateModel], channel: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws {
        let syncID = UUID().uuidString.lowercased()
        var start = templates.startIndex
        while start < templates.endIndex {
            let chunk = templates[start..<min(start + 200, templates.endIndex)]
            start = chunk.endIndex
            var insert = db.insert(into: "whatsapp_templates")
                .columns("resource_id", "channel_id", "name", "language", "status", "content", "created_at", "sync_id")
            for template in chunk {
                insert = insert.values(
                    SQLBind(resource.storageID), SQLBind(channel), SQLBind(template.name), SQLBind(template.language), SQLBind(template.status),
                    SQLBind(try encodedContent(template)), SQLBind(now.milliseconds), SQLBind(syncID))
            }
            try await insert.onConflict(with: ["resource_id", "channel_id", "name", "language"]) {
                $0.set(excludedValueOf: "status").set(excludedValueOf: "content").set(excludedValueOf: "sync_id")
            }.run()
        }
        try await db.delete(from: "whatsapp_templates").where("resource_id", .equal, resource.storageID).where("channel_id", .equal, channel)
            .where { $0.where("sync_id", .is, SQLLiteral.null).orWhere("sync_id", .notEqual, syncID) }.run()
        try await db.update("whatsapp_channels").set("templates_synced_at", to: now.milliseconds).where("resource_id", .equal, resource.storageID)
            .where("id", .equal, channel).run()
    }

    /// `sync_id IS NOT NULL` picks the synced templates, `IS NULL` the registered ones.
    static func syncedOperator(_ synced: Bool) -> SQLBinaryOperator { synced ? .isNot : .is }

    static func encodedContent(_ template: TemplateModel) throws -> String? {
        try template.content.map { String(decoding: try JSONBody.encoder.encode($0), as: UTF8.self) }
    }

    struct TemplateCursor: Codable, Sendable {
        let n: String
        let l: String
    }

    /// A channel's templates by name and language, after `cursor`: the registered ones, or the synced ones.
    static func templates(
        channel: String, synced: Bool, after cursor: TemplateCursor?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> [TemplateModel] {
        var query = db.select().columns("name", "language", "status", "content").from("whatsapp_templates")
            .where("resource_id", .equal, resource.storageID).where("channel_id", .equal, channel)
            .where("sync_id", syncedOperator(synced), SQLLiteral.null)
        if let cursor {
            query = query.where { group in
                group.where("name", .greaterThan, cursor.n).orWhere { inner in
                    inner.where("name", .equal, cursor.n).where("language", .greaterThan, cursor.l)
                }
            }
        }
        return try await query.orderBy("name").orderBy("language").limit(limit).all().map { row in
            let content = try row.decode(column: "content", as: String?.self)
            return TemplateModel(
                name: try row.decode(column: "name", as: String.self), language: try row.decode(column: "language", as: String.self),
                status: try row.decode(column: "status", as: String.self),
                content: try content.map { try JSONBody.decoder.decode(JSONValue.self, from: Data($0.utf8)) })
        }
    }

    /// The status of one of a channel's templates (registered, or synced), or `nil`.
    static func template(
        _ name: String, language: String, channel: String, synced: Bool = false, resource: ResourceHandle, in db: any SQLDatabase
    ) async throws -> String? {
        try await db.select().column("status").from("whatsapp_templates").where("resource_id", .equal, resource.storageID)
            .where("channel_id", .equal, channel).where("name", .equal, name).where("language", .equal, language)
            .where("sync_id", syncedOperator(synced), SQLLiteral.null)
            .first(decodingColumn: "status", as: String.self)
    }
}
