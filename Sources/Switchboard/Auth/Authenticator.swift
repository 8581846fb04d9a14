import Foundation
import HTTPTypes
import NIOCore

/// What an authenticator may look at: the request as received, its body (already read, for HMAC's hash) and the
/// spellings of `host[:port]/resource` a client may have signed.
public struct Credentials: Sendable {
    public let method: HTTPRequest.Method
    /// The request target as received: path and query, percent-encoding preserved.
    public let target: String
    public let headers: HTTPFields
    public let query: QueryParameters
    public let body: ByteBuffer
    /// `host[:port]/resource` as a client may have signed it (see ``APIResponder``).
    public let signedHosts: [String]

    public init(
        method: HTTPRequest.Method, target: String, headers: HTTPFields, query: QueryParameters, body: ByteBuffer,
        signedHosts: [String]
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.query = query
        self.body = body
        self.signedHosts = signedHosts
    }
}

/// How a route's caller proves who they are: an access key, a user token, nothing (public links), and later a
/// console session. A route names its authenticator; the request pipeline runs it after the resource is found.
///
/// Throwing ``AuthenticationFailure`` answers a bare 401 that does not say which check failed; any other error (a
/// database that cannot be reached) is not the caller's fault and is answered as such.
public protocol Authenticator: Sendable {
    /// Who sent `request` to `resource` (`nil` on the server's own routes, which belong to no resource).
    func authenticate(_ request: Credentials, resource: ResourceHandle?) async throws -> Principal
}

/// Who made a request.
public enum Principal: Sendable {
    /// The holder of one of the resource's access keys: a trusted back end.
    case accessKey
    /// A user holding an access token.
    case user(AuthenticatedUser)
    /// Nobody in particular: a public link (a validation URL, an unsubscribe page) whose secret is in the link.
    case anonymous
}

/// The user behind a valid, unrevoked access token.
public struct AuthenticatedUser: Sendable, Hashable {
    public let id: UserID
    public let scopes: Set<TokenScope>

    public init(id: UserID, scopes: Set<TokenScope>) {
        self.id = id
        self.scopes = scopes
    }
}

/// Requests signed with one of the resource's access keys (HMAC-SHA256, as the SDKs sign them).
public struct AccessKeyAuthenticator: Authenticator {
    let hmac = HMACAuthenticator()
    let clock: any WallClock

    public init(clock: any WallClock) {
        self.clock = clock
    }

    public func authenticate(_ request: Credentials, resource: ResourceHandle?) async throws -> Principal {
        guard let resource else { throw AuthenticationFailure.unknownResource }
        let signed = HMACAuthenticator.SignedRequest(
            method: request.method.rawValue, target: request.target, hosts: request.signedHosts,
            authorization: request.headers[.authorization],
            date: request.headers[HTTPField.Name.msDate] ?? request.headers[.date],
            contentHash: request.headers[HTTPField.Name.msContentHash],
            body: Array(request.body.readableBytesView))
        try hmac.authenticate(signed, keys: resource.accessKeys, now: clock.now.date)
        return .accessKey
    }
}

/// Requests carrying a user access token the resource issued (`Authorization: Bearer …`); the real-time endpoint
/// checks its tokens through the same ``authenticate(token:resource:)``.
public struct UserTokenAuthenticator: Authenticator {
    let validator: any UserTokenValidator
    let clock: any WallClock

    public init(validator: any UserTokenValidator, clock: any WallClock) {
        self.validator = validator
        self.clock = clock
    }

    public func authenticate(_ request: Credentials, resource: ResourceHandle?) async throws -> Principal {
        guard let resource else { throw AuthenticationFailure.unknownResource }
        guard let authorization = request.headers[.authorization] else { throw AuthenticationFailure.missingCredentials }
        guard let token = Self.bearerToken(authorization) else { throw AuthenticationFailure.wrongCredentialKind }
        return .user(try await authenticate(token: token, resource: resource).user)
    }

    /// The user a token names, once its signature, resource, expiry and revision are checked.
    public func authenticate(token: String, resource: ResourceHandle) async throws -> (user: AuthenticatedUser, claims: AccessTokenClaims) {
        let claims = try await resource.tokens.verify(token, now: clock.now.date)
        return (try await validator.validate(claims, resource: resource), claims)
    }

    /// Checks again that a token verified earlier is still valid (its identity exists and it was not revoked).
    public func revalidate(_ claims: AccessTokenClaims, resource: ResourceHandle) async throws -> AuthenticatedUser {
        try await validator.validate(claims, resource: resource)
    }

    /// The token of an `Authorization: Bearer <token>` header; `nil` for any other scheme.
    public static func bearerToken(_ authorization: String) -> String? {
        guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { return nil }
        return authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }
}

/// Public routes: the link itself carries its secret (a validation code, an unsubscribe token).
public struct NoCredentials: Authenticator {
    public init() {}

    public func authenticate(_ request: Credentials, resource: ResourceHandle?) async throws -> Principal {
        .anonymous
    }
}

extension HTTPField.Name {
    static let msDate = HTTPField.Name("x-ms-date")!
    static let msContentHash = HTTPField.Name("x-ms-content-sha256")!
}
