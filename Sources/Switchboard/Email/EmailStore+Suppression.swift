import Foundation
import SQLKit

/// Suppression: a domain's own list (kept until removed) and the hard-bounce lease (kept only while it runs).
extension EmailStore {
    struct Suppression: Sendable {
        let domain: String
        let address: String
        let reason: String
        let createdAt: Timestamp
    }

    static func upsertSuppression(_ suppression: Suppression, resource: ResourceHandle, in db: any SQLDatabase) async throws {
        let index = resource.crypto.blindIndex(suppression.address, kind: .emailAddress)
        try await db.delete(from: "email_suppressions").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, suppression.domain).where("address_index", .equal, index).run()
        try await db.insert(into: "email_suppressions").columns("resource_id", "domain", "address_index", "address", "reason", "created_at")
            .values(
                SQLBind(resource.storageID), SQLBind(suppression.domain), SQLBind(index),
                SQLBind(try resource.crypto.seal(suppression.address, field: suppressionField)), SQLBind(suppression.reason),
                SQLBind(suppression.createdAt.milliseconds)
            ).run()
    }

    static func suppression(_ address: String, domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Suppression? {
        try await db.select().column("*").from("email_suppressions").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, domain).where("address_index", .equal, resource.crypto.blindIndex(address, kind: .emailAddress))
            .first().map { try decodeSuppression($0, resource: resource) }
    }

    /// A domain's list, in order of when each address was added (then by index, for a stable cursor).
    static func suppressions(domain: String, after: Int64?, limit: Int, resource: ResourceHandle, in db: any SQLDatabase) async throws
        -> [(Suppression, Int64)]
    {
        var query = db.select().column("*").from("email_suppressions").where("resource_id", .equal, resource.storageID)
            .where("domain", .equal, domain)
        if let after { query = query.where("created_at", .greaterThan, after) }
        return try await query.orderBy("created_at").limit(limit).all().map {
            (try decodeSuppression($0, resource: resource), try $0.decode(column: "created_at", as: Int64.self))
        }
    }

    static func decodeSuppression(_ row: any SQLRow, resource: ResourceHandle) throws -> Suppression {
        Suppression(
            domain: try row.decode(column: "domain", as: String.self),
            address: try resource.crypto.open(try row.decode(column: "address", as: Data.self), field: suppressionField),
            reason: try row.decode(column: "reason", as: String.self),
            createdAt: Timestamp(milliseconds: try row.decode(column: "created_at", as: Int64.self)))
    }

    static func deleteSuppression(_ address: String, domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
        guard try await suppression(address, domain: domain, resource: resource, in: db) != nil else { return false }
        try await db.delete(from: "email_suppressions").where("resource_id", .equal, resource.storageID).where("domain", .equal, domain)
            .where("address_index", .equal, resource.crypto.blindIndex(address, kind: .emailAddress)).run()
        return true
    }

    /// Of `indexes`, those on `domain`'s list.
    static func suppressed(_ indexes: [Data], domain: String, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Set<Data> {
        guard !indexes.isEmpty else { return [] }
        return Set(
            try await db.select().column("address_index").from("email_suppressions").where("resource_id", .equal, resource.storageID)
                .where("domain", .equal, domain).where("address_index", .in, indexes).all(decodingColumn: "address_index", as: Data.self))
    }

    // MARK: The hard-bounce lease

    struct Lease: Sendable, Equatable {
        let bounces: Int
        let until: Timestamp
    }

    /// Of `indexes`, those whose lease runs at `now`, with its end.
    static func leases(_ indexes: [Data], now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws -> [Data: Lease] {
        guard !indexes.isEmpty else { return [:] }
        var found: [Data: Lease] = [:]
        for row in try await db.select().column("*").from("email_bounce_leases").where("resource_id", .equal, resource.storageID)
            .where("address_index", .in, indexes).where("lease_until", .greaterThan, now.milliseconds).all()
        {
            found[try row.decode(column: "address_index", as: Data.self)] = Lease(
                bounces: try row.decode(column: "bounces", as: Int.self),
                until: Timestamp(milliseconds: try row.decode(column: "lease_until", as: Int64.self)))
        }
        return found
    }

    /// The lease ACS keeps after hard bounces: 24 hours after the first, doubled by each repeat while it runs (48 h,
    /// 96 h), then 7 and at most 14 days. A bounce after the lease lapsed starts again at 24 hours.
    static let leaseSteps: [Duration] = [.seconds(86_400), .seconds(2 * 86_400), .seconds(4 * 86_400), .seconds(7 * 86_400), .seconds(14 * 86_400)]

    @discardableResult
    static func recordHardBounce(_ address: String, now: Timestamp, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Lease {
        let index = resource.crypto.blindIndex(address, kind: .emailAddress)
        let running = try await leases([index], now: now, resource: resource, in: db)[index]
        let bounces = (running?.bounces ?? 0) + 1
        let lease = Lease(bounces: bounces, until: now.adding(leaseSteps[min(bounces, leaseSteps.count) - 1]))
        try await db.delete(from: "email_bounce_leases").where("resource_id", .equal, resource.storageID).where("address_index", .equal, index).run()
        try await db.insert(into: "email_bounce_leases").columns("resource_id", "address_index", "bounces", "lease_until", "created_at", "updated_at")
            .values(
                SQLBind(resource.storageID), SQLBind(index), SQLBind(bounces), SQLBind(lease.until.milliseconds), SQLBind(now.milliseconds),
                SQLBind(now.milliseconds)
            ).run()
        return lease
    }
}
