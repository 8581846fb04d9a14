import Foundation
import SQLKit

/// Told when an identity's tokens stop being valid (revoked, or the identity deleted), to end what they opened.
public protocol TokenInvalidationListener: Sendable {
    func tokensInvalidated(of user: UserID, resource: ResourceHandle) async
}

/// What the Identity API does: users, their tokens, revocation and deletion.
public struct IdentityService: Sendable {
    let changes: Changes
    let personalData: PersonalData
    let invalidationListeners: [any TokenInvalidationListener]
    let clock: any WallClock

    /// - Parameters:
    ///   - personalData: every capability's part in a person's data; deleting an identity erases it from all of them.
    ///   - invalidationListeners: told when an identity's tokens stop being valid (real-time sessions close).
    public init(
        changes: Changes, personalData: PersonalData, invalidationListeners: [any TokenInvalidationListener] = [], clock: any WallClock
    ) {
        self.changes = changes
        self.personalData = personalData
        self.invalidationListeners = invalidationListeners
        self.clock = clock
    }

    public static let lifetimeRange = 60...1440
    public static let defaultLifetime = 1440

    /// A request for a token alongside a new identity, or for an existing one.
    public struct TokenRequest: Sendable {
        public var scopes: [TokenScope]
        public var lifetimeMinutes: Int
    }

    public struct Created: Sendable {
        public let user: UserID
        public let token: IssuedToken?
    }

    /// Creates an identity, or with a `customID` already in use returns that identity.
    public func create(in resource: ResourceHandle, customID: String?, token: TokenRequest?) async throws -> Created {
        let user: UserID = try await changes.run(in: resource) { tx in
            let db = tx.db
            if let customID, let existing = try await IdentityStore.find(db, resource: resource, customID: customID) {
                return existing.user
            }
            let user = UserID(resourceID: resource.id, userID: UUID())
            try await IdentityStore.insert(db, resource: resource, user: user, customID: customID, at: tx.now)
            // Two requests with the same new customId at once: one inserted, and both answer with that identity.
            if let customID, let existing = try await IdentityStore.find(db, resource: resource, customID: customID) {
                return existing.user
            }
            return user
        }
        guard let token else { return Created(user: user, token: nil) }
        return Created(user: user, token: try await issueToken(in: resource, for: user, request: token))
    }

    /// Issues a token for an existing identity.
    public func issueToken(in resource: ResourceHandle, for user: UserID, request: TokenRequest) async throws
        -> IssuedToken
    {
        try await changes.run(in: resource) { tx in
            guard let row = try await IdentityStore.find(tx.db, resource: resource, user: user) else {
                throw IdentityError.notFound
            }
            let issued = try await resource.tokens.issue(
                for: user, scopes: request.scopes, lifetimeMinutes: request.lifetimeMinutes,
                revision: row.tokenRevision, now: tx.now.date)
            try await IdentityStore.recordTokenIssued(tx.db, resource: resource, user: user, at: tx.now)
            return issued
        }
    }

    /// Revokes every token issued to the identity so far.
    public func revokeTokens(in resource: ResourceHandle, of user: UserID) async throws {
        let existed = try await resource.store.transaction { db in
            try await IdentityStore.bumpRevision(db, resource: resource, user: user)
        }
        guard existed else { throw IdentityError.notFound }
        for listener in invalidationListeners { await listener.tokensInvalidated(of: user, resource: resource) }
    }

    /// Deletes the identity with everything every capability holds about it (``PersonalData``), in one
    /// transaction; its tokens stop working at once because the identity no longer exists.
    public func delete(in resource: ResourceHandle, user: UserID) async throws {
        let personalData = self.personalData
        let existed = try await changes.run(in: resource) { tx in
            guard try await IdentityStore.find(tx.db, resource: resource, user: user) != nil else { return false }
            try await personalData.erase(.communicationUser(user.rawID), in: tx)
            return true
        }
        guard existed else { throw IdentityError.notFound }
        for listener in invalidationListeners { await listener.tokensInvalidated(of: user, resource: resource) }
        try await resource.store.reclaimDeletedRows(in: personalData.erasableTables, .withinMaintenanceInterval)
    }

    public struct Details: Sendable {
        public let user: UserID
        public let customID: String?
        public let lastTokenIssuedAt: Date?
    }

    public func details(in resource: ResourceHandle, of user: UserID) async throws -> Details {
        guard
            let row = try await resource.store.read({ db in
                try await IdentityStore.find(db, resource: resource, user: user)
            })
        else { throw IdentityError.notFound }
        return Details(
            user: row.user,
            customID: try resource.crypto.openIfPresent(row.sealedCustomID, field: IdentityStore.customIDField),
            lastTokenIssuedAt: row.lastTokenIssuedAt?.date)
    }
}

/// Failures of the Identity API.
public enum IdentityError: Error, APIErrorConvertible {
    case notFound
    case invalidIdentifier(String)
    case invalidScope(field: String, value: String)
    case missingScopes(field: String)
    case invalidLifetime(Int)
    case invalidCustomID
    case requiresNewerVersion(String)

    public var apiError: APIError {
        switch self {
        case .notFound:
            .notFound(code: "IdentityNotFound", "The identity does not exist in this resource.")
        case .invalidIdentifier(let id):
            .badRequest(
                code: "InvalidIdentifier",
                "'\(id)' is not a communication user id of the form 8:acs:<resource id>_<user id>.", target: "id")
        case .invalidScope(let field, let value):
            .badRequest(
                code: "InvalidScope", "'\(value)' is not a token scope. Valid scopes: \(TokenScope.validList).",
                target: field)
        case .missingScopes(let field):
            .badRequest(code: "InvalidScope", "At least one scope is required. Valid scopes: \(TokenScope.validList).", target: field)
        case .invalidLifetime(let minutes):
            .badRequest(
                code: "InvalidExpiresInMinutes",
                "expiresInMinutes must be between \(IdentityService.lifetimeRange.lowerBound) and \(IdentityService.lifetimeRange.upperBound); got \(minutes).",
                target: "expiresInMinutes")
        case .invalidCustomID:
            .badRequest(code: "InvalidCustomId", "customId must be between 1 and 256 characters.", target: "customId")
        case .requiresNewerVersion(let version):
            .badRequest(
                code: "UnsupportedApiVersion", "This operation requires api-version \(version) or later.",
                target: "api-version")
        }
    }
}
