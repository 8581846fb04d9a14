import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// A local stand-in for Meta's Graph API template list, `GET /{version}/{business-account-id}/message_templates`, as
/// Meta documents it: the bearer token is checked (401 with OAuth error 190 otherwise), an unknown account is a 400
/// with code 100, `fields` and `limit` are honoured, and pages are joined by `paging.cursors.after` (with
/// `paging.next` while there is more). It pages by at most `pageSize` whatever the `limit`, as Meta may, and can be
/// told to fail or to be slow.
final class GraphTemplatePeer: Sendable {
    struct Template: Sendable {
        var name: String
        var language: String
        var status: String
        var category = "UTILITY"
        var body = "Your order {{1}} has shipped."
        let id = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
    }

    enum Behaviour: Sendable {
        case normal
        case status(Int)
        case slow(Duration)
    }

    struct Call: Sendable {
        let account: String
        let authorization: String?
        let query: [String: String]
    }

    static let token = "EAAG-token"
    static let account = "102290129340398"
    static let knownFields: Set<String> = ["id", "name", "language", "status", "category", "components", "parameter_format", "sub_category"]

    let pageSize = 2
    private let state = Mutex<(templates: [Template], behaviour: Behaviour, calls: [Call])>(([], .normal, []))

    var templates: [Template] {
        get { state.withLock { $0.templates } }
        set { state.withLock { $0.templates = newValue } }
    }

    var behaviour: Behaviour {
        get { state.withLock { $0.behaviour } }
        set { state.withLock { $0.behaviour = newValue } }
    }

    var calls: [Call] { state.withLock { $0.calls } }

    /// Runs `body` with the peer listening on a loopback port; its base URL is `http://127.0.0.1:<port>`.
    func run(_ body: @escaping @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.get("/{version}/{account}/message_templates") { request, context in try await self.answer(request, context: context) }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: .quiet)
        try await app.test(.live) { client in
            try await body("http://127.0.0.1:\(try #require(client.port))")
        }
    }

    private static func json(_ status: HTTPResponse.Status, _ object: Any) throws -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))))
    }

    private static func graphError(_ status: HTTPResponse.Status, _ message: String, code: Int, type: String) throws -> Response {
        try json(status, ["error": ["message": message, "type": type, "code": code, "fbtrace_id": "AbCdEfGhIjK"]])
    }

    private func answer(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let account = context.parameters.get("account") ?? ""
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let authorization = request.headers[.authorization]
        let (templates, behaviour) = state.withLock { state in
            state.calls.append(Call(account: account, authorization: authorization, query: query))
            return (state.templates, state.behaviour)
        }
        switch behaviour {
        case .normal: break
        case .status(let code):
            return try Self.graphError(
                .init(code: code), "An unexpected error has occurred. Please retry your request later.", code: 2, type: "OAuthException")
        case .slow(let delay): try await Task.sleep(for: delay)
        }
        guard context.parameters.get("version")?.hasPrefix("v") == true else {
            return try Self.graphError(.badRequest, "Unknown path components", code: 2500, type: "OAuthException")
        }
        guard authorization == "Bearer \(Self.token)" else {
            return try Self.graphError(.unauthorized, "Invalid OAuth access token - Cannot parse access token", code: 190, type: "OAuthException")
        }
        guard account == Self.account else {
            return try Self.graphError(
                .badRequest, "Unsupported get request. Object with ID '\(account)' does not exist", code: 100, type: "GraphMethodException")
        }
        let fields = (query["fields"] ?? "name,language,status,category,components,id").split(separator: ",").map(String.init)
        guard fields.allSatisfy(Self.knownFields.contains) else {
            return try Self.graphError(.badRequest, "(#100) Tried accessing nonexisting field", code: 100, type: "OAuthException")
        }
        let limit = query["limit"].map { Int($0) ?? -1 } ?? 25
        var start = 0
        if let after = query["after"] {
            guard let data = Data(base64Encoded: after), let index = Int(String(decoding: data, as: UTF8.self)), (1...templates.count).contains(index)
            else { return try Self.graphError(.badRequest, "(#100) Invalid parameter", code: 100, type: "OAuthException") }
            start = index
        }
        guard limit > 0 else { return try Self.graphError(.badRequest, "(#100) Invalid parameter", code: 100, type: "OAuthException") }
        let end = min(templates.count, start + min(limit, pageSize))
        let data: [[String: Any]] = templates[start..<end].map { template in
            let all: [String: Any] = [
                "id": template.id, "name": template.name, "language": template.language, "status": template.status,
                "category": template.category, "parameter_format": "POSITIONAL",
                "components": [
                    ["type": "BODY", "text": template.body, "example": ["body_text": [["A-1234"]]]],
                    ["type": "FOOTER", "text": "Lucky Shrub"],
                ],
            ]
            return all.filter { fields.contains($0.key) || $0.key == "id" }
        }
        var page: [String: Any] = ["data": data]
        if end > start {
            let cursors = ["before": Data(String(start + 1).utf8).base64EncodedString(), "after": Data(String(end).utf8).base64EncodedString()]
            var paging: [String: Any] = ["cursors": cursors]
            if end < templates.count {
                paging["next"] =
                    "https://graph.facebook.com/v21.0/\(account)/message_templates?access_token=\(Self.token)&limit=\(limit)&after=\(cursors["after"]!)"
            }
            page["paging"] = paging
        }
        return try Self.json(.ok, page)
    }
}
