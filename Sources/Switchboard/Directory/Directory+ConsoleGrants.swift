import SQLKit

extension Directory {
    /// Marks a console sign-in grant used; `false` if it already was. Expired marks are forgotten on the way, since a
    /// grant past its expiry is refused by its signature's time anyway.
    func redeemConsoleGrant(id: String, expiresAt: Timestamp, now: Timestamp) async throws -> Bool {
        try await write { db in
            try await db.delete(from: "console_redeemed_grants").where("expires_at", .lessThan, now.milliseconds).run()
            let used = try await db.select().column("id").from("console_redeemed_grants").where("id", .equal, id).first() != nil
            if used { return false }
            try await db.insert(into: "console_redeemed_grants").columns("id", "expires_at")
                .values(SQLBind(id), SQLBind(expiresAt.milliseconds)).run()
            return true
        }
    }

    /// Records a console session as signed out until it would have expired.
    func revokeConsoleSession(id: String, expiresAt: Timestamp, now: Timestamp) async throws {
        try await write { db in
            try await db.delete(from: "console_revoked_sessions").where("expires_at", .lessThan, now.milliseconds).run()
            guard try await db.select().column("id").from("console_revoked_sessions").where("id", .equal, id).first() == nil else { return }
            try await db.insert(into: "console_revoked_sessions").columns("id", "expires_at")
                .values(SQLBind(id), SQLBind(expiresAt.milliseconds)).run()
        }
    }

    /// Whether a console session was signed out.
    func isConsoleSessionRevoked(id: String) async throws -> Bool {
        try await database.read { db in
            try await db.select().column("id").from("console_revoked_sessions").where("id", .equal, id).first() != nil
        }
    }
}
