import Foundation
import HTTPTypes
import Hummingbird

/// The Identity API (`/identities`), authenticated with the resource's access keys.
///
/// Wire contract: `reference/acs-wire.md` §4.1. Versions from 2025-03-02-preview add `customId` (an application's
/// own user key, kept encrypted) and `GET /identities/{id}`.
public struct IdentityAPI: Sendable {
    public static let service = APIService(
        name: "identity",
        versions: [
            "2021-03-07", "2021-10-31-preview", "2021-11-01", "2022-06-01", "2022-10-01", "2023-08-01",
            "2023-10-01", "2025-03-02-preview", "2025-06-30",
        ])
    static let customIDVersion = "2025-03-02"

    let identities: IdentityService

    public init(identities: IdentityService) {
        self.identities = identities
    }

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let service = Self.service
        return [
            Route(.post, "/identities", service: service, auth: auth, handler: create),
            Route(.get, "/identities/{id}", service: service, auth: auth, handler: get),
            Route(.delete, "/identities/{id}", service: service, auth: auth, handler: delete),
            Route(.post, "/identities/{id}/:issueAccessToken", service: service, auth: auth, handler: issueToken),
            Route(.post, "/identities/{id}/:revokeAccessTokens", service: service, auth: auth, handler: revoke),
            Route(.post, "/teamsUser/:exchangeAccessToken", service: service, auth: auth, handler: teamsExchange),
        ]
    }

    // MARK: Wire models

    struct CreateRequest: Decodable {
        var createTokenWithScopes: [String]?
        var expiresInMinutes: Int?
        var customId: String?

        enum CodingKeys: String, CodingKey { case createTokenWithScopes, expiresInMinutes, customId }

        init() {}

        /// Each field may be left out; none may be sent as `null` (the SDKs leave out what they do not set).
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            createTokenWithScopes = try container.decodeUnlessNull([String].self, forKey: .createTokenWithScopes)
            expiresInMinutes = try container.decodeUnlessNull(Int.self, forKey: .expiresInMinutes)
            customId = try container.decodeUnlessNull(String.self, forKey: .customId)
        }
    }

    struct IssueRequest: Decodable {
        var scopes: [String]
        var expiresInMinutes: Int?
    }

    struct TokenBody: Encodable {
        let token: String
        let expiresOn: Date

        init(_ issued: IssuedToken) {
            token = issued.token
            expiresOn = issued.expiresOn
        }
    }

    struct CreateResponse: Encodable {
        struct Identity: Encodable { let id: String }
        let identity: Identity
        let accessToken: TokenBody?
    }

    struct DetailsResponse: Encodable {
        let id: String
        let customId: String?
        let lastTokenIssuedAt: Date?
    }

    // MARK: Handlers

    @Sendable func create(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(CreateRequest.self) ?? CreateRequest()
        var customID: String?
        if request.apiVersion.isAtLeast(Self.customIDVersion), let value = body.customId {
            guard (1...256).contains(value.count) else { throw IdentityError.invalidCustomID }
            customID = value
        }
        var tokenRequest: IdentityService.TokenRequest?
        if let scopes = body.createTokenWithScopes, !scopes.isEmpty {
            tokenRequest = .init(
                scopes: try Self.scopes(scopes, field: "createTokenWithScopes"),
                lifetimeMinutes: try Self.lifetime(body.expiresInMinutes))
        } else if let minutes = body.expiresInMinutes {
            _ = try Self.lifetime(minutes)
        }
        let created = try await identities.create(in: request.resource, customID: customID, token: tokenRequest)
        return try JSONBody.response(
            CreateResponse(identity: .init(id: created.user.rawID), accessToken: created.token.map(TokenBody.init)),
            status: .created)
    }

    @Sendable func get(_ request: APIRequest) async throws -> Response {
        guard request.apiVersion.isAtLeast(Self.customIDVersion) else {
            throw IdentityError.requiresNewerVersion("2025-03-02-preview")
        }
        let details = try await identities.details(in: request.resource, of: try user(request))
        return try JSONBody.response(
            DetailsResponse(id: details.user.rawID, customId: details.customID, lastTokenIssuedAt: details.lastTokenIssuedAt))
    }

    @Sendable func delete(_ request: APIRequest) async throws -> Response {
        try await identities.delete(in: request.resource, user: try user(request))
        return Response(status: .noContent)
    }

    @Sendable func issueToken(_ request: APIRequest) async throws -> Response {
        let user = try user(request)
        let body = try request.decode(IssueRequest.self)
        let tokenRequest = IdentityService.TokenRequest(
            scopes: try Self.scopes(body.scopes, field: "scopes"), lifetimeMinutes: try Self.lifetime(body.expiresInMinutes))
        let issued = try await identities.issueToken(in: request.resource, for: user, request: tokenRequest)
        return try JSONBody.response(TokenBody(issued))
    }

    @Sendable func revoke(_ request: APIRequest) async throws -> Response {
        try await identities.revokeTokens(in: request.resource, of: try user(request))
        return Response(status: .noContent)
    }

    @Sendable func teamsExchange(_ request: APIRequest) async throws -> Response {
        throw APIError.notSupported(
            "Exchanging Microsoft Entra tokens of Teams users is not supported: Switchboard has no Microsoft Entra ID to verify them against.")
    }

    // MARK: Validation

    /// The user named by the `{id}` path parameter; ids of other resources are reported as not found.
    func user(_ request: APIRequest) throws -> UserID {
        let raw = request.parameter("id")
        guard let user = UserID(rawID: raw) else { throw IdentityError.invalidIdentifier(raw) }
        guard user.resourceID == request.resource.id else { throw IdentityError.notFound }
        return user
    }

    static func scopes(_ names: [String], field: String) throws -> [TokenScope] {
        guard !names.isEmpty else { throw IdentityError.missingScopes(field: field) }
        var scopes: [TokenScope] = []
        for name in names {
            guard let scope = TokenScope(rawValue: name) else { throw IdentityError.invalidScope(field: field, value: name) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return scopes
    }

    static func lifetime(_ minutes: Int?) throws -> Int {
        guard let minutes else { return IdentityService.defaultLifetime }
        guard IdentityService.lifetimeRange.contains(minutes) else { throw IdentityError.invalidLifetime(minutes) }
        return minutes
    }
}
