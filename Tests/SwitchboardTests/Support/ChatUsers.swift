import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
@testable import Switchboard

/// A chat user of a test resource: an identity with a token, and requests as the chat SDK sends them.
struct ChatUser: Sendable {
    let id: String
    let token: String
    let resource: String

    static let version = "api-version=2024-03-07"

    /// Creates an identity in `resource` with a token for `scopes`.
    static func create(in server: TestServer, resource name: String, scopes: [TokenScope] = [.chat]) async throws -> ChatUser {
        let handle = try await server.runtime.resources.handle(named: name)!
        let created = try await server.identities().create(
            in: handle, customID: nil, token: .init(scopes: scopes, lifetimeMinutes: 60))
        return ChatUser(id: created.user.rawID, token: created.token!.token, resource: name)
    }

    var identifier: String { #"{"rawId":"\#(id)","communicationUser":{"id":"\#(id)"}}"# }

    func participant(_ displayName: String? = nil, shareHistoryTime: String? = nil) -> String {
        var fields = [#""communicationIdentifier":\#(identifier)"#]
        if let displayName { fields.append(#""displayName":"\#(displayName)""#) }
        if let shareHistoryTime { fields.append(#""shareHistoryTime":"\#(shareHistoryTime)""#) }
        return "{" + fields.joined(separator: ",") + "}"
    }

    func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
        query: String = "", headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        if json != nil { headers[.contentType] = method == .patch ? "application/merge-patch+json" : "application/json" }
        for field in extra { headers[field.name] = field.value }
        let separator = path.contains("?") ? "&" : "?"
        return try await client.execute(
            uri: "/\(resource)\(path)\(separator)\(Self.version)\(query)", method: method, headers: headers,
            body: json.map { ByteBuffer(string: $0) })
    }

    /// Follows a `nextLink` as the SDK does (same path and query; the router test client ignores scheme and host).
    func follow(_ client: any TestClientProtocol, _ nextLink: String) async throws -> TestResponse {
        let url = URL(string: nextLink)!
        var headers = HTTPFields()
        headers[.authorization] = "Bearer \(token)"
        return try await client.execute(
            uri: url.path(percentEncoded: true) + "?" + (url.query(percentEncoded: true) ?? ""), method: .get, headers: headers)
    }

    func createThread(_ client: any TestClientProtocol, topic: String = "Lunch", participants: [String] = [], extra: String = "")
        async throws -> String
    {
        let body = #"{"topic":"\#(topic)","participants":[\#(participants.joined(separator: ","))]\#(extra)}"#
        let response = try await send(client, .post, "/chat/threads", json: body)
        guard response.status == .created, let thread = response.json["chatThread"] as? [String: Any], let id = thread["id"] as? String
        else { throw TestFailure("create thread answered \(response.status): \(response.text)") }
        return id
    }

    func sendMessage(_ client: any TestClientProtocol, _ thread: String, _ content: String, displayName: String? = nil) async throws
        -> String
    {
        let name = displayName.map { #","senderDisplayName":"\#($0)""# } ?? ""
        let response = try await send(
            client, .post, "/chat/threads/\(Self.path(thread))/messages", json: #"{"content":"\#(content)","type":"text"\#(name)}"#)
        guard response.status == .created, let id = response.json["id"] as? String else {
            throw TestFailure("send answered \(response.status): \(response.text)")
        }
        return id
    }

    /// All messages visible to this user, following every page, newest first.
    func messages(_ client: any TestClientProtocol, _ thread: String, pageSize: Int = 100) async throws -> [[String: Any]] {
        var response = try await send(client, .get, "/chat/threads/\(Self.path(thread))/messages", query: "&maxPageSize=\(pageSize)")
        var all: [[String: Any]] = []
        while true {
            guard response.status == .ok else { throw TestFailure("list answered \(response.status): \(response.text)") }
            all += response.json["value"] as? [[String: Any]] ?? []
            guard let next = response.json["nextLink"] as? String else { return all }
            response = try await follow(client, next)
        }
    }

    func texts(_ client: any TestClientProtocol, _ thread: String) async throws -> [String] {
        try await messages(client, thread).filter { $0["type"] as? String == "text" }
            .compactMap { ($0["content"] as? [String: Any])?["message"] as? String }
    }

    static func path(_ thread: String) -> String {
        thread.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~")))!
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
