import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Switchboard

@Suite struct IdentityAPITests {
    static let version = "api-version=2023-10-01"
    static let customIDVersion = "api-version=2025-06-30"

    /// A route authenticated by user token, standing in for the capabilities (chat) that use tokens.
    static let whoAmI = Route(
        .get, "/test/whoami", service: IdentityAPI.service, auth: UserTokenAuthenticator(validator: IdentityTokenValidator(), clock: SystemClock())
    ) { request in
        let user = try request.user()
        return try JSONBody.response(["id": user.id.rawID, "scopes": user.scopes.map(\.rawValue).sorted().joined(separator: ",")])
    }

    func bearer(_ token: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        return headers
    }

    @Test func createUserWithoutBodyReturnsAnIdentityOnly() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let response = try await dev.send(client, .post, "/identities?\(Self.version)")
                #expect(response.status == .created)
                let identity = try #require(response.json["identity"] as? [String: Any])
                let id = try #require(identity["id"] as? String)
                #expect(UserID(rawID: id)?.resourceID == dev.id)
                #expect(response.json["accessToken"] == nil)
            }
        }
    }

    @Test func createUserAndTokenReturnsATokenForTheRequestedScopesAndLifetime() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test(additionalRoutes: [Self.whoAmI]) { client in
                let sent = Date()
                let response = try await dev.send(
                    client, .post, "/identities?\(Self.version)", json: #"{"createTokenWithScopes":["chat","voip"],"expiresInMinutes":60}"#)
                let answered = Date()
                #expect(response.status == .created)
                let token = try #require(response.json["accessToken"] as? [String: Any])
                let expiresText = try #require(token["expiresOn"] as? String)
                let expiresOn = try #require(APIDate.parse(expiresText))
                Self.expectExpiry(expiresOn, seconds: 3600, issuedBetween: sent, and: answered)
                let tokenText = try #require(token["token"] as? String)
                let whoami = try await client.execute(
                    uri: "/dev/test/whoami?\(Self.version)", method: .get, headers: bearer(tokenText))
                #expect(whoami.status == .ok)
                #expect(whoami.json["scopes"] as? String == "chat,voip")
            }
        }
    }

    @Test func tokensDefaultToTwentyFourHours() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let user = try await dev.send(client, .post, "/identities?\(Self.version)").json
                let id = try #require((user["identity"] as? [String: Any])?["id"] as? String)
                let sent = Date()
                let response = try await dev.send(
                    client, .post, "/identities/\(Self.encode(id))/:issueAccessToken?\(Self.version)", json: #"{"scopes":["chat"]}"#)
                let answered = Date()
                #expect(response.status == .ok)
                let expiresText = try #require(response.json["expiresOn"] as? String)
                let expiresOn = try #require(APIDate.parse(expiresText))
                Self.expectExpiry(expiresOn, seconds: 86_400, issuedBetween: sent, and: answered)
            }
        }
    }

    /// A token issued between `sent` and `answered` for `seconds` expires that long after some moment in between
    /// (the wire's dates have whole seconds). Bracketing the request, not comparing with "now", keeps a slow machine
    /// from failing it.
    static func expectExpiry(
        _ expiresOn: Date, seconds: TimeInterval, issuedBetween sent: Date, and answered: Date, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let earliest = sent.addingTimeInterval(seconds - 1)
        let latest = answered.addingTimeInterval(seconds + 1)
        #expect(
            expiresOn >= earliest && expiresOn <= latest, "expires \(expiresOn), issued between \(sent) and \(answered)",
            sourceLocation: sourceLocation)
    }

    @Test(
        arguments: [
            (#"{"scopes":["chat","email"]}"#, "InvalidScope", "scopes"),
            (#"{"scopes":[]}"#, "InvalidScope", "scopes"),
            (#"{"scopes":["chat"],"expiresInMinutes":59}"#, "InvalidExpiresInMinutes", "expiresInMinutes"),
            (#"{"scopes":["chat"],"expiresInMinutes":1441}"#, "InvalidExpiresInMinutes", "expiresInMinutes"),
            (#"{"scopes":["chat"],"expiresInMinutes":"soon"}"#, "InvalidRequestBody", "expiresInMinutes"),
            (#"{"scopes":"chat"}"#, "InvalidRequestBody", "scopes"),
            (#"{}"#, "InvalidRequestBody", "scopes"),
            (#"{"scopes":["chat"]"#, "InvalidJson", nil),
        ] as [(String, String, String?)])
    func invalidTokenRequestsAreRefusedNamingTheField(body: String, code: String, target: String?) async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let user = try await dev.send(client, .post, "/identities?\(Self.version)").json
                let id = try #require((user["identity"] as? [String: Any])?["id"] as? String)
                let response = try await dev.send(
                    client, .post, "/identities/\(Self.encode(id))/:issueAccessToken?\(Self.version)", json: body)
                #expect(response.status == .badRequest)
                #expect(response.errorCode == code)
                #expect((response.json["error"] as? [String: Any])?["target"] as? String == target)
                #expect(response.headers[HTTPField.Name("x-ms-error-code")!] == code)
            }
        }
    }

    @Test func unknownMalformedAndForeignIdentitiesAreNotFound() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let other = try await server.createResource("other", in: .unitedStates)
            try await server.test { client in
                let unknown = UserID(resourceID: dev.id, userID: UUID()).rawID
                for method in [HTTPRequest.Method.delete] {
                    #expect(try await dev.send(client, method, "/identities/\(Self.encode(unknown))?\(Self.version)").status == .notFound)
                }
                let issue = try await dev.send(
                    client, .post, "/identities/\(Self.encode(unknown))/:issueAccessToken?\(Self.version)", json: #"{"scopes":["chat"]}"#)
                #expect(issue.status == .notFound)
                #expect(issue.errorCode == "IdentityNotFound")
                #expect(
                    try await dev.send(client, .post, "/identities/\(Self.encode(unknown))/:revokeAccessTokens?\(Self.version)").status == .notFound)
                let malformed = try await dev.send(client, .delete, "/identities/not-an-id?\(Self.version)")
                #expect(malformed.status == .badRequest)
                #expect(malformed.errorCode == "InvalidIdentifier")
                // An identity of another resource is not revealed, even with a valid key of this one.
                let created = try await other.send(client, .post, "/identities?\(Self.version)").json
                let foreign = try #require((created["identity"] as? [String: Any])?["id"] as? String)
                #expect(try await dev.send(client, .delete, "/identities/\(Self.encode(foreign))?\(Self.version)").status == .notFound)
            }
        }
    }

    @Test func revokingTokensStopsEveryEarlierTokenAtOnceButNotLaterOnes() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test(additionalRoutes: [Self.whoAmI]) { client in
                let created = try await dev.send(client, .post, "/identities?\(Self.version)", json: #"{"createTokenWithScopes":["chat"]}"#).json
                let id = try #require((created["identity"] as? [String: Any])?["id"] as? String)
                let first = try #require((created["accessToken"] as? [String: Any])?["token"] as? String)
                #expect(try await client.execute(uri: "/dev/test/whoami?\(Self.version)", method: .get, headers: bearer(first)).status == .ok)
                #expect(try await dev.send(client, .post, "/identities/\(Self.encode(id))/:revokeAccessTokens?\(Self.version)").status == .noContent)
                #expect(
                    try await client.execute(uri: "/dev/test/whoami?\(Self.version)", method: .get, headers: bearer(first)).status == .unauthorized)
                let second = try await dev.send(
                    client, .post, "/identities/\(Self.encode(id))/:issueAccessToken?\(Self.version)", json: #"{"scopes":["chat"]}"#)
                let token = try #require(second.json["token"] as? String)
                #expect(try await client.execute(uri: "/dev/test/whoami?\(Self.version)", method: .get, headers: bearer(token)).status == .ok)
            }
        }
    }

    @Test func deletingAnIdentityRevokesItsTokensAtOnce() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test(additionalRoutes: [Self.whoAmI]) { client in
                let created = try await dev.send(client, .post, "/identities?\(Self.version)", json: #"{"createTokenWithScopes":["chat"]}"#).json
                let id = try #require((created["identity"] as? [String: Any])?["id"] as? String)
                let token = try #require((created["accessToken"] as? [String: Any])?["token"] as? String)
                #expect(try await dev.send(client, .delete, "/identities/\(Self.encode(id))?\(Self.version)").status == .noContent)
                let after = try await client.execute(uri: "/dev/test/whoami?\(Self.version)", method: .get, headers: bearer(token))
                #expect(after.status == .unauthorized)
                #expect(after.errorCode == "Unauthorized")
                #expect(try await dev.send(client, .delete, "/identities/\(Self.encode(id))?\(Self.version)").status == .notFound)
            }
        }
    }

    @Test func deletingAnIdentityRunsEveryPersonalDataContributorInItsTransaction() async throws {
        final class Recorder: PersonalDataContributor {
            let erased = Mutex<[SubjectIdentifier]>([])
            var category: String { "recorder" }
            var erasableTables: [String] { [] }
            func export(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> AnyEncodable? { nil }
            func erase(_ subject: SubjectIdentifier, in tx: Transaction) async throws -> ErasedItems {
                erased.withLock { $0.append(subject) }
                return [:]
            }
        }
        try await TestServer.with { server in
            _ = try await server.createResource("dev", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let recorder = Recorder()
            let service = IdentityService(
                changes: Changes(clock: SystemClock(), observers: []), personalData: PersonalData([IdentityPersonalData(), recorder]),
                clock: SystemClock())
            let created = try await service.create(in: resource, customID: nil, token: nil)
            try await service.delete(in: resource, user: created.user)
            #expect(recorder.erased.withLock { $0 } == [.communicationUser(created.user.rawID)])
            await #expect(throws: IdentityError.self) { try await service.details(in: resource, of: created.user) }
        }
    }

    @Test func customIdsReturnTheSameIdentityAndAreReadBack() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let first = try await dev.send(client, .post, "/identities?\(Self.customIDVersion)", json: #"{"customId":"alice@contoso.com"}"#).json
                let second = try await dev.send(
                    client, .post, "/identities?\(Self.customIDVersion)", json: #"{"customId":"alice@contoso.com","createTokenWithScopes":["chat"]}"#
                ).json
                let id = try #require((first["identity"] as? [String: Any])?["id"] as? String)
                #expect((second["identity"] as? [String: Any])?["id"] as? String == id)
                #expect(second["accessToken"] != nil)
                let details = try await dev.send(client, .get, "/identities/\(Self.encode(id))?\(Self.customIDVersion)")
                #expect(details.status == .ok)
                #expect(details.json["customId"] as? String == "alice@contoso.com")
                #expect(details.json["lastTokenIssuedAt"] is String)
                let old = try await dev.send(client, .get, "/identities/\(Self.encode(id))?\(Self.version)")
                #expect(old.status == .badRequest)
            }
        }
    }

    @Test func teamsTokenExchangeIsClearlyNotSupported() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let response = try await dev.send(
                    client, .post, "/teamsUser/:exchangeAccessToken?\(Self.version)", json: #"{"token":"x","appId":"a","userId":"u"}"#)
                #expect(response.status == .notImplemented)
                #expect(response.errorCode == "NotSupported")
            }
        }
    }

    @Test(arguments: IdentityAPI.service.versions)
    func everySupportedApiVersionIsAccepted(version: String) async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let response = try await dev.send(client, .post, "/identities?api-version=\(version)")
                #expect(response.status == .created)
            }
        }
    }

    static func encode(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_.~"))) ?? id
    }
}

import SQLKit
import Synchronization
