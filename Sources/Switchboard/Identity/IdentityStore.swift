import Foundation
import SQLKit

/// An identity as stored.
struct IdentityRow: Sendable {
    let user: UserID
    let createdAt: Timestamp
    let tokenRevision: Int64
    let lastTokenIssuedAt: Timestamp?
    let sealedCustomID: Data?
}

/// The queries of the Identity capability. Every query is scoped to one resource.
enum IdentityStore {
    static let table = "identities"
    static let customIDField = PersonalField(rawValue: "identities.custom_id")

    /// Inserts an identity. One with a `customID` another transaction has just taken is not inserted: the caller
    /// looks that one up instead (`ON CONFLICT DO NOTHING` waits for the other transaction to settle).
    static func insert(_ db: any SQLDatabase, resource: ResourceHandle, user: UserID, customID: String?, at now: Timestamp) async throws {
        try await db.insert(into: table)
            .ignoringConflicts()
            .columns("resource_id", "id", "created_at", "token_revision", "custom_id", "custom_id_index")
            .values(
                SQLBind(resource.storageID), SQLBind(user.userID.uuidString.lowercased()), SQLBind(now.milliseconds),
                SQLBind(Int64(0)),
                SQLBind(try resource.crypto.sealIfPresent(customID, field: customIDField)),
                SQLBind(customID.map { resource.crypto.blindIndex($0, kind: .customID) })
            )
            .run()
    }

    /// Read for every request a user token makes: written out (see WrittenOutSQL.swift), as is the lookup by custom
    /// id beside it, which shares its columns.
    static func find(_ db: any SQLDatabase, resource: ResourceHandle, user: UserID) async throws -> IdentityRow? {
        try await db.raw(
            "SELECT \(unsafeRaw: rowColumns) FROM identities WHERE resource_id = \(bind: resource.storageID) AND id = \(bind: user.userID.uuidString.lowercased())"
        ).first().map { try decode($0, resource: resource) }
    }

    static func find(_ db: any SQLDatabase, resource: ResourceHandle, customID: String) async throws -> IdentityRow? {
        try await db.raw(
            """
            SELECT \(unsafeRaw: rowColumns) FROM identities WHERE resource_id = \(bind: resource.storageID) \
            AND custom_id_index = \(bind: resource.crypto.blindIndex(customID, kind: .customID))
            """
        ).first().map { try decode($0, resource: resource) }
    }

    static func recordTokenIssued(_ db: any SQLDatabase, resource: ResourceHandle, user: UserID, at time: Timestamp)
        async throws
    {
        try await db.update(table).set("last_token_issued_at", to: time.milliseconds)
            .where("resource_id", .equal, resource.storageID)
            .where("id", .equal, user.userID.uuidString.lowercased())
            .run()
    }

    /// Bumps the token revision; returns whether the identity exists.
    static func bumpRevision(_ db: any SQLDatabase, resource: ResourceHandle, user: UserID) async throws -> Bool {
        try await db.update(table)
            .set(SQLIdentifier("token_revision"), to: SQLRaw("token_revision + 1"))
            .where("resource_id", .equal, resource.storageID)
            .where("id", .equal, user.userID.uuidString.lowercased())
            .returning("id")
            .all().count == 1
    }

    /// Deletes the identity; returns whether it existed.
    static func delete(_ db: any SQLDatabase, resource: ResourceHandle, user: UserID) async throws -> Bool {
        try await db.delete(from: table)
            .where("resource_id", .equal, resource.storageID)
            .where("id", .equal, user.userID.uuidString.lowercased())
            .returning("id")
            .all().count == 1
    }

    /// The columns ``decode(_:resource:)`` reads.
    private static let rowColumns = "id, created_at, token_revision, last_token_issued_at, custom_id"

    private static func decode(_ row: any SQLRow, resource: ResourceHandle) throws -> IdentityRow {
        let id = try row.decode(column: "id", as: String.self)
        guard let uuid = UUID(uuidString: id) else { throw StoreCorrupt(detail: "identity id '\(id)'") }
        return IdentityRow(
            user: UserID(resourceID: resource.id, userID: uuid),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)),
            tokenRevision: try row.decode(column: "token_revision", as: Int64.self),
            lastTokenIssuedAt: try row.decode(column: "last_token_issued_at", as: Int64?.self).map { Timestamp(milliseconds: $0) },
            sealedCustomID: try row.decode(column: "custom_id", as: Data?.self))
    }
}

/// A stored row that cannot be read back.
public struct StoreCorrupt: Error, CustomStringConvertible, Sendable {
    public let detail: String
    public var description: String { "a store row cannot be read: \(detail)" }
}
