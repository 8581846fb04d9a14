import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// A small ACS client over HTTPS for the benchmark: HMAC-signed identity calls and token-authenticated chat
/// calls, through one AsyncHTTPClient pool.
struct BenchClient: Sendable {
    let http: HTTPClient
    let endpoint: String
    let host: String
    let path: String
    let key: SymmetricKey

    init(connectionString: String, caFile: String, connections: Int) throws {
        let parts = Dictionary(
            connectionString.split(separator: ";").compactMap { part -> (String, String)? in
                guard let equals = part.firstIndex(of: "=") else { return nil }
                return (part[..<equals].lowercased(), String(part[part.index(after: equals)...]))
            }, uniquingKeysWith: { a, _ in a })
        guard let endpoint = parts["endpoint"], let key = parts["accesskey"], let url = URL(string: endpoint),
            let secret = Data(base64Encoded: key)
        else { throw BenchError("the connection string is not valid") }
        self.endpoint = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        self.host = "\(url.host!):\(url.port ?? 443)\(url.path)"
        self.path = url.path
        self.key = SymmetricKey(data: secret)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .file(caFile)
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = connections
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: Identity (HMAC)

    func createUserAndToken() async throws -> (id: String, token: String) {
        let json = try await signed(.POST, "/identities?api-version=2023-10-01", body: #"{"createTokenWithScopes":["chat"]}"#, expecting: 201)
        guard let identity = json["identity"] as? [String: Any], let id = identity["id"] as? String,
            let token = (json["accessToken"] as? [String: Any])?["token"] as? String
        else { throw BenchError("unexpected identity response") }
        return (id, token)
    }

    /// A request signed with the resource's access key, as the SDKs sign them; `pathAndQuery` is under the endpoint.
    func signed(_ method: HTTPMethod, _ pathAndQuery: String, body text: String, expecting status: Int) async throws -> [String: Any] {
        let body = Data(text.utf8)
        let target = "\(path)\(pathAndQuery)"
        var request = HTTPClientRequest(url: "\(endpoint)\(pathAndQuery)")
        request.method = method
        let date = Self.rfc1123(Date())
        let hash = Data(SHA256.hash(data: body)).base64EncodedString()
        let toSign = "\(method.rawValue)\n\(target)\n\(date);\(host);\(hash)"
        let signature = Data(HMAC<SHA256>.authenticationCode(for: Data(toSign.utf8), using: key)).base64EncodedString()
        request.headers.add(name: "x-ms-date", value: date)
        request.headers.add(name: "x-ms-content-sha256", value: hash)
        request.headers.add(name: "Authorization", value: "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        return try await send(request, expecting: status)
    }

    // MARK: Chat (bearer)

    func createThread(token: String, topic: String, participants: [String]) async throws -> String {
        let list = participants.map { #"{"communicationIdentifier":{"rawId":"\#($0)","communicationUser":{"id":"\#($0)"}}}"# }
        let json = try await chat(
            .POST, "/chat/threads", token: token, body: #"{"topic":"\#(topic)","participants":[\#(list.joined(separator: ","))]}"#,
            expecting: 201)
        guard let id = (json["chatThread"] as? [String: Any])?["id"] as? String else { throw BenchError("no thread id") }
        return id
    }

    @discardableResult
    func sendMessage(token: String, thread: String, content: String) async throws -> String {
        let json = try await chat(
            .POST, "/chat/threads/\(Self.segment(thread))/messages", token: token,
            body: #"{"content":"\#(content)","type":"text","senderDisplayName":"bench"}"#, expecting: 201)
        return json["id"] as? String ?? ""
    }

    /// One page of messages; returns its size and the next link.
    func listMessages(token: String, thread: String, pageSize: Int, nextLink: String? = nil) async throws -> (count: Int, next: String?) {
        let json: [String: Any]
        if let nextLink {
            json = try await chat(.GET, url: nextLink, token: token, body: nil, expecting: 200)
        } else {
            json = try await chat(
                .GET, "/chat/threads/\(Self.segment(thread))/messages", query: "&maxPageSize=\(pageSize)", token: token, body: nil, expecting: 200)
        }
        return ((json["value"] as? [Any])?.count ?? 0, json["nextLink"] as? String)
    }

    func chat(_ method: HTTPMethod, _ path: String, query: String = "", token: String, body: String?, expecting status: Int) async throws -> [String:
        Any]
    {
        try await chat(method, url: "\(endpoint)\(path)?api-version=2024-03-07\(query)", token: token, body: body, expecting: status)
    }

    func chat(_ method: HTTPMethod, url: String, token: String, body: String?, expecting status: Int) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        return try await send(request, expecting: status)
    }

    func send(_ request: HTTPClientRequest, expecting status: Int) async throws -> [String: Any] {
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard Int(response.status.code) == status else {
            throw BenchError("\(request.method) \(request.url) answered \(response.status.code): \(String(buffer: body))")
        }
        guard body.readableBytes > 0 else { return [:] }
        return (try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any]) ?? [:]
    }

    static func segment(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? value
    }

    static func rfc1123(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
