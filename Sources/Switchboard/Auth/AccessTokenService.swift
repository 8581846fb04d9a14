import Crypto
import Foundation
import JWTKit

/// Mints and checks the user access tokens of one resource.
///
/// Tokens are HS256 JWTs signed with the resource's own signing key, so a token of one resource never verifies
/// at another. The claims are those of ACS tokens (`skypeid`, `scp`, `csi`, `iat`, `exp`, `acsScope`,
/// `resourceId`, `resourceLocation`) plus `rev`, the identity's token revision at issue time: revoking an
/// identity's tokens bumps the revision, which invalidates every earlier token at once.
///
/// The payload segment must be decodable with standard base64, because the Python SDK parses tokens with
/// `base64.b64decode`. Base64url of ASCII JSON only yields `-` or `_` where the JSON holds `>`, `?` or `~`, so the
/// payload is written without them (see ``AccessTokenClaims/encode(to:)``) and checked before it is returned.
public struct AccessTokenService: Sendable {
    let resourceID: UUID
    let geography: Geography
    private let keys: JWTKeyCollection
    private let kid: JWKIdentifier

    public init(resourceID: UUID, geography: Geography, signingKey: SymmetricKey) async {
        self.resourceID = resourceID
        self.geography = geography
        self.kid = JWKIdentifier(string: "sb1-\(resourceID.uuidString.lowercased())")
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: signingKey), digestAlgorithm: .sha256, kid: kid)
    }

    /// Issues a token for `user` valid from `now` for `lifetimeMinutes`.
    public func issue(
        for user: UserID, scopes: [TokenScope], lifetimeMinutes: Int, revision: Int64, now: Date
    ) async throws -> IssuedToken {
        let issuedAt = Int(now.timeIntervalSince1970)
        let expires = issuedAt + lifetimeMinutes * 60
        let claims = AccessTokenClaims(
            skypeid: user.rawID.dropFirst(2).description,
            scp: scopes.reduce(0) { $0 | $1.claimBits },
            csi: String(issuedAt),
            exp: expires,
            acsScope: scopes.map(\.rawValue).joined(separator: ","),
            resourceId: resourceID.uuidString.lowercased(),
            resourceLocation: geography.compactName,
            iat: issuedAt,
            rev: revision)
        let token = try await keys.sign(claims, kid: kid)
        let payload = token.split(separator: ".")[1]
        guard !payload.contains("-"), !payload.contains("_") else { throw TokenPayloadNotPlainBase64() }
        return IssuedToken(token: token, expiresOn: Date(timeIntervalSince1970: TimeInterval(expires)))
    }

    /// Checks a token's signature, resource and expiry; the caller then checks the identity and its revision.
    public func verify(_ token: String, now: Date) async throws(AuthenticationFailure) -> AccessTokenClaims {
        let claims: AccessTokenClaims
        do {
            claims = try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw .invalidToken
        }
        guard claims.resourceId == resourceID.uuidString.lowercased() else { throw .invalidToken }
        guard Int(now.timeIntervalSince1970) < claims.exp else { throw .expiredToken }
        return claims
    }
}

/// A token whose payload would not decode with standard base64; a bug, never expected.
struct TokenPayloadNotPlainBase64: Error {}

/// A freshly issued token.
public struct IssuedToken: Sendable {
    public let token: String
    public let expiresOn: Date
}

/// The claims of a user access token.
public struct AccessTokenClaims: JWTPayload, Equatable {
    public var skypeid: String
    public var scp: Int
    public var csi: String
    public var exp: Int
    public var acsScope: String
    public var resourceId: String
    public var resourceLocation: String
    public var iat: Int
    public var rev: Int64

    /// Signature and resource are checked by ``AccessTokenService/verify(_:now:)``, which owns the clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The scopes the token grants; unknown names are ignored.
    public var scopes: Set<TokenScope> {
        Set(acsScope.split(separator: ",").compactMap { TokenScope(rawValue: String($0)) })
    }

    /// The user the token was issued to.
    public var user: UserID? { UserID(rawID: "8:" + skypeid) }

    public func encode(to encoder: any Encoder) throws {
        // Every value is an id, a number, a scope name or a geography name, none of which can hold `>`, `?` or
        // `~`; `issue` checks the result.
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(skypeid, forKey: .skypeid)
        try container.encode(scp, forKey: .scp)
        try container.encode(csi, forKey: .csi)
        try container.encode(exp, forKey: .exp)
        try container.encode(acsScope, forKey: .acsScope)
        try container.encode(resourceId, forKey: .resourceId)
        try container.encode(resourceLocation, forKey: .resourceLocation)
        try container.encode(iat, forKey: .iat)
        try container.encode(rev, forKey: .rev)
    }
}

/// Why a request was not authenticated. Clients only ever see a generic 401; the case is for logs and tests.
public enum AuthenticationFailure: Error, Equatable, Sendable {
    case missingCredentials
    case malformedAuthorization
    case unknownResource
    case contentHashMismatch
    case dateMissingOrInvalid
    case dateOutsideWindow
    case signatureMismatch
    case invalidToken
    case expiredToken
    case revokedToken
    case wrongCredentialKind
}
