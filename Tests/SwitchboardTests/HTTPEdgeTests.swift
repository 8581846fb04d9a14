import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import Switchboard

@Suite struct HTTPEdgeTests {
    static let version = "api-version=2023-10-01"

    @Test func everyResponseCarriesRequestIdCorrelationVectorAndTheEchoedClientRequestId() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                var headers = HTTPFields()
                headers[HTTPField.Name("x-ms-client-request-id")!] = "client-123"
                let success = try await dev.send(client, .post, "/identities?\(Self.version)", extraHeaders: headers)
                let failure = try await client.execute(uri: "/dev/nothing-here", method: .get, headers: headers)
                let system = try await client.execute(uri: "/-/healthz", method: .get, headers: headers)
                for response in [success, failure, system] {
                    #expect(response.headers[HTTPField.Name("x-ms-request-id")!]?.isEmpty == false)
                    #expect(response.headers[HTTPField.Name("MS-CV")!]?.hasSuffix(".0") == true)
                    #expect(response.headers[HTTPField.Name("x-ms-client-request-id")!] == "client-123")
                }
                #expect(success.headers[HTTPField.Name("api-supported-versions")!]?.contains("2023-10-01") == true)
            }
        }
    }

    @Test func unknownRoutesAnswer404InTheACSShape() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                for response in [
                    try await dev.send(client, .get, "/no/such/operation?\(Self.version)"),
                    try await client.execute(uri: "/", method: .get),
                    try await client.execute(uri: "/-/nothing", method: .get),
                ] {
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "NotFound")
                    #expect((response.json["error"] as? [String: Any])?["message"] is String)
                }
                let wrongMethod = try await dev.send(client, .put, "/identities?\(Self.version)")
                #expect(wrongMethod.status == .methodNotAllowed)
                #expect(wrongMethod.headers[.allow] == "POST")
            }
        }
    }

    @Test func unknownResourcesAndMissingCredentialsAnswer401() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let unknown = try await dev.send(client, .post, "/identities?\(Self.version)", resource: "nobody")
                #expect(unknown.status == .unauthorized)
                #expect(unknown.errorCode == "Unauthorized")
                let unsigned = try await client.execute(uri: "/dev/identities?\(Self.version)", method: .post)
                #expect(unsigned.status == .unauthorized)
                let stale = try await client.execute(
                    uri: "/dev/identities?\(Self.version)", method: .post,
                    headers: dev.headers(
                        method: .post, target: "/dev/identities?\(Self.version)", body: [], date: Date().addingTimeInterval(-20 * 60)))
                #expect(stale.status == .unauthorized)
                // The message does not say which check failed.
                #expect(
                    (stale.json["error"] as? [String: Any])?["message"] as? String == (unsigned.json["error"] as? [String: Any])?["message"]
                        as? String)
            }
        }
    }

    @Test func apiVersionIsRequiredAndCheckedWithTheSupportedListInAHeader() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let missing = try await dev.send(client, .post, "/identities")
                #expect(missing.status == .badRequest)
                #expect(missing.errorCode == "MissingApiVersionParameter")
                let unsupported = try await dev.send(client, .post, "/identities?api-version=2099-01-01")
                #expect(unsupported.status == .badRequest)
                #expect(unsupported.errorCode == "UnsupportedApiVersion")
                #expect(unsupported.headers[HTTPField.Name("api-supported-versions")!] == IdentityAPI.service.supportedVersionsHeader)
            }
        }
    }

    @Test func bodiesOverTheLimitAnswer413AndChangeNothing() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                let huge = #"{"createTokenWithScopes":["chat"],"pad":""# + String(repeating: "x", count: 200_000) + #""}"#
                let response = try await dev.send(client, .post, "/identities?\(Self.version)", json: huge)
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "RequestEntityTooLarge")
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let count = try await resource.store.read { db in
                try await db.select().column("id").from("identities").all().count
            }
            #expect(count == 0)
        }
    }

    @Test func malformedBodiesAnswer400NamingTheFieldAndWriteNothing() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                for (body, field) in [
                    (#"{"createTokenWithScopes":"chat"}"#, "createTokenWithScopes"),
                    (#"{"createTokenWithScopes":["chat"],"expiresInMinutes":true}"#, "expiresInMinutes"),
                    (#"{"createTokenWithScopes":[1]}"#, "createTokenWithScopes[0]"),
                    (#"{"createTokenWithScopes":["chat"],"expiresInMinutes":10}"#, "expiresInMinutes"),
                    (#"not json"#, nil),
                    (#"[]"#, nil),
                ] as [(String, String?)] {
                    let response = try await dev.send(client, .post, "/identities?\(Self.version)", json: body)
                    #expect(response.status == .badRequest, "\(body)")
                    #expect((response.json["error"] as? [String: Any])?["target"] as? String == field, "\(body)")
                }
            }
            let resource = try #require(try await server.runtime.resources.handle(named: "dev"))
            let count = try await resource.store.read { db in
                try await db.select().column("id").from("identities").all().count
            }
            #expect(count == 0)
        }
    }

    @Test func healthReadinessAndMetricsAreServedOutsideTheResourceNamespace() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            try await server.test { client in
                _ = try await dev.send(client, .post, "/identities?\(Self.version)")
                #expect(try await client.execute(uri: "/-/healthz", method: .get).status == .ok)
                let ready = try await client.execute(uri: "/-/readyz", method: .get)
                #expect(ready.status == .ok)
                #expect((ready.json["checks"] as? [String: String])?["directory"] == "ok")
                let metrics = try await client.execute(uri: "/-/metrics", method: .get)
                #expect(metrics.text.contains(#"switchboard_http_requests_total{route="POST /identities",status="201"} 1"#))
                #expect(!metrics.text.contains("8:acs:"))
            }
        }
    }
}
