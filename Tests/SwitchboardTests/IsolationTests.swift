import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Switchboard

/// A key or token of one resource never reaches another resource's data: checked for every route the server
/// has, so a route added later is covered without touching this test.
@Suite struct IsolationTests {
    @Test(arguments: TestEngine.available)
    func anotherResourcesKeyOrTokenIsRefusedOnEveryRoute(engine: TestEngine) async throws {
        try await TestServer.with(engine: engine) { server in
            let a = try await server.createResource("tenant-a", in: .unitedStates)
            let b = try await server.createResource("tenant-b", in: .europe)
            // The application's own route table: a route added later is covered without touching this test.
            let routes = try server.assembly().routes.routes
            #expect(routes.count >= 6)
            try await server.test { client in
                // A user and a token of each resource.
                let version = "api-version=2025-06-30"
                let aUser = try await a.send(client, .post, "/identities?\(version)", json: #"{"createTokenWithScopes":["chat"]}"#).json
                let aToken = try #require((aUser["accessToken"] as? [String: Any])?["token"] as? String)
                let bUser = try await b.send(client, .post, "/identities?\(version)", json: #"{"createTokenWithScopes":["chat"]}"#).json
                let bID = try #require((bUser["identity"] as? [String: Any])?["id"] as? String)

                for route in routes {
                    let path = Self.path(route.pattern, id: bID)
                    let target = "/tenant-b\(path)?api-version=\(route.service.versions.last!)"
                    let body = route.method == .get || route.method == .delete ? nil : #"{"scopes":["chat"],"participants":[]}"#
                    // A's key, correctly signed for B's endpoint.
                    let withKey = try await client.execute(
                        uri: target, method: route.method,
                        headers: ResourceClient(name: "tenant-b", id: b.id, key: a.key, secondaryKey: a.secondaryKey)
                            .headers(method: route.method, target: target, body: Array((body ?? "").utf8)),
                        body: body.map { .init(string: $0) })
                    #expect(withKey.status == .unauthorized, "\(route.label) with another resource's key")
                    // A's user token.
                    var bearer = HTTPFields()
                    bearer[.authorization] = "Bearer \(aToken)"
                    bearer[.contentType] = "application/json"
                    let withToken = try await client.execute(
                        uri: target, method: route.method, headers: bearer, body: body.map { .init(string: $0) })
                    #expect(withToken.status == .unauthorized, "\(route.label) with another resource's token")
                }
                // B's identity is untouched.
                let check = try await b.send(client, .get, "/identities/\(IdentityAPITests.encode(bID))?\(version)")
                #expect(check.status == .ok)
            }
        }
    }

    static func path(_ pattern: RoutePattern, id: String) -> String {
        "/"
            + pattern.segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .capture: IdentityAPITests.encode(id)
                }
            }.joined(separator: "/")
    }
}
