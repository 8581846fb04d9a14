/// Decides whether the user a correctly signed token names may still act: the identity exists in the resource and
/// the token carries its current revision (revoking bumps it). The request pipeline and the real-time endpoint ask
/// it for every bearer token (``UserTokenAuthenticator``).
public struct IdentityTokenValidator: UserTokenValidator {
    public init() {}

    public func validate(_ claims: AccessTokenClaims, resource: ResourceHandle) async throws -> AuthenticatedUser {
        guard let user = claims.user, user.resourceID == resource.id else { throw AuthenticationFailure.invalidToken }
        let row = try await resource.store.read { db in
            try await IdentityStore.find(db, resource: resource, user: user)
        }
        guard let row, row.tokenRevision == claims.rev else { throw AuthenticationFailure.revokedToken }
        return AuthenticatedUser(id: user, scopes: claims.scopes)
    }
}
