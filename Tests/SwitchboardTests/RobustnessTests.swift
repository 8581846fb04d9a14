import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import Switchboard

/// Bad input never produces a 500: every route, fed malformed bodies and parameters by an authenticated caller,
/// answers a 4xx in the ACS shape, and nothing is half-written.
@Suite struct RobustnessTests {
    static let bodies = [
        "", "{", "[]", "null", "42", #""text""#, #"{"unexpected":true}"#, #"{"topic":123,"participants":"x","content":[],"scopes":{}}"#,
        "{\"content\":\"\u{0}\"}", String(repeating: "[", count: 2000), #"{"properties":{"destination":5}}"#,
    ]

    @Test func noRouteAnswers500ToMalformedInput() async throws {
        try await TestServer.with { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let user = try await ChatUser.create(in: server, resource: "dev")
            // The application's own route table: a route added later is covered without touching this test.
            let routes = try server.assembly().routes.routes
            try await server.test { client in
                for route in routes {
                    for capture in ["x", "%00", "8%3Aacs%3Anot-a-user", "19%3Anope%40thread.v2", String(repeating: "a", count: 300)] {
                        let path =
                            "/"
                            + route.pattern.segments.map { segment -> String in
                                switch segment {
                                case .literal(let text): text
                                case .capture: capture
                                }
                            }.joined(separator: "/")
                        let query = "?api-version=\(route.service.versions.last!)&maxPageSize=-1&skip=x&startTime=yesterday&hours=99"
                        for body in route.method == .get || route.method == .delete ? [""] : Self.bodies {
                            let response: TestResponse
                            switch route.auth {
                            case is UserTokenAuthenticator:
                                response = try await user.send(
                                    client, route.method, path + "?maxPageSize=-1&startTime=yesterday", json: body.isEmpty ? nil : body)
                            default:
                                response = try await dev.send(client, route.method, path + query, json: body.isEmpty ? nil : body)
                            }
                            // 501 NotSupported is the deliberate answer of an operation Switchboard does not offer.
                            #expect(
                                response.status.code < 500 || response.errorCode == "NotSupported",
                                "\(route.label) \(capture) \(body.prefix(40)) → \(response.status) \(response.text.prefix(200))")
                            if response.status.code >= 400 {
                                #expect(response.errorCode != nil, "\(route.label) answered \(response.status) without an ACS error body")
                            }
                        }
                    }
                }
            }
        }
    }
}
