/// Decides whether the user a correctly signed token names may still act: the identity exists and the token is
/// not revoked. The Identity capability provides it; the request pipeline calls it for every bearer request.
public protocol UserTokenValidator: Sendable {
    func validate(_ claims: AccessTokenClaims, resource: ResourceHandle) async throws -> AuthenticatedUser
}
