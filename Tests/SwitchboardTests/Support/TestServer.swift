import AsyncHTTPClient
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Switchboard
import Testing

/// A configured runtime on a temporary data directory, with the directory and every store on `engine`.
struct TestServer {
    let runtime: Runtime
    let dataDirectory: URL

    /// Runs `body` with a server whose directory and stores (for `geographies`) live on `engine`; other
    /// geographies fall back to SQLite files in the data directory.
    static func with<T>(
        engine: TestEngine = .sqlite,
        geographies: [Geography] = [.unitedStates, .europe],
        logger: Logger = .quiet,
        clock: any WallClock = SystemClock(),
        _ body: (TestServer) async throws -> T
    ) async throws -> T {
        try await withTemporaryDirectory { directory in
            var stores: [Geography: DatabaseLocation] = [:]
            var directoryLocation: DatabaseLocation? = nil
            if engine == .postgres {
                directoryLocation = try await engine.makeDatabase(named: "directory", in: directory)
                for geography in geographies {
                    stores[geography] = try await engine.makeDatabase(named: geography.compactName, in: directory)
                }
            }
            let configuration = ServerConfiguration(
                dataDirectory: directory, tls: .disabled, directory: directoryLocation, stores: stores,
                masterKey: .inline(MasterKey.generate().base64))
            let runtime = try await Runtime.open(configuration, logger: logger, clock: clock)
            let server = TestServer(runtime: runtime, dataDirectory: directory)
            do {
                let result = try await body(server)
                await runtime.shutdown()
                return result
            } catch {
                await runtime.shutdown()
                throw error
            }
        }
    }

    /// Creates a resource and returns a client for it.
    func createResource(_ name: String, in geography: Geography) async throws -> ResourceClient {
        let details = try await runtime.administration.create(name: name, geography: geography)
        return ResourceClient(name: name, id: details.record.id, key: details.primaryKey, secondaryKey: details.secondaryKey)
    }

    /// Runs `body` against the application through Hummingbird's router test framework.
    func test<T: Sendable>(
        additionalRoutes: [Route] = [], capabilities: [any Capability.Type] = Capabilities.all, chatLimits: ChatLimits? = nil,
        _ body: @Sendable (any TestClientProtocol) async throws -> T
    ) async throws -> T {
        var runtime = self.runtime
        if let chatLimits { runtime.configuration.chat.limits = chatLimits }
        // The test owns the runtime and closes it after inspecting the stores.
        let app = try buildApplication(runtime: runtime, closesRuntime: false, capabilities: capabilities, additionalRoutes: additionalRoutes)
        return try await app.test(.router, body)
    }
}

extension TestServer {
    /// The capabilities wired as the server wires them, for tests that call services directly (its HTTP client is
    /// the shared one, so there is nothing to shut down).
    func assembly(chatLimits: ChatLimits? = nil) throws -> Assembly {
        var runtime = self.runtime
        if let chatLimits { runtime.configuration.chat.limits = chatLimits }
        return try Assembly(runtime: runtime, httpClient: .shared)
    }

    /// The Identity service as the server wires it.
    func identities() throws -> IdentityService {
        try #require(try assembly().capability(IdentityCapability.self)).service
    }
}

/// The credentials of one resource, and requests signed exactly as the Azure SDKs sign them.
struct ResourceClient: Sendable {
    let name: String
    let id: UUID
    var key: String
    var secondaryKey: String

    /// The host the SDK would sign for an endpoint `https://localhost/NAME` (the router test framework's authority).
    var signedHost: String { "localhost/\(name)" }

    func headers(method: HTTPRequest.Method, target: String, body: [UInt8], key: String? = nil, date: Date = Date())
        -> HTTPFields
    {
        let contentHash = Data(SHA256.hash(data: body)).base64EncodedString()
        let dateText = HTTPDate.format(date)
        let stringToSign = "\(method.rawValue)\n\(target)\n\(dateText);\(signedHost);\(contentHash)"
        let keyText = key ?? self.key
        let secret = SymmetricKey(data: Data(base64Encoded: keyText) ?? Data(keyText.utf8))
        let signature = Data(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: secret))
            .base64EncodedString()
        var headers = HTTPFields()
        headers[HTTPField.Name("x-ms-date")!] = dateText
        headers[HTTPField.Name("x-ms-content-sha256")!] = contentHash
        headers[.authorization] = "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)"
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("x-ms-client-request-id")!] = UUID().uuidString
        return headers
    }

    /// Sends a request signed with this resource's key (or `key`), to `path` under `resource` (default: this one).
    func send(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, json: String? = nil,
        key: String? = nil, resource: String? = nil, extraHeaders: HTTPFields = [:]
    ) async throws -> TestResponse {
        let target = "/\(resource ?? name)\(path)"
        let body = json.map { Array($0.utf8) } ?? []
        var headers = self.headers(method: method, target: target, body: body, key: key)
        for field in extraHeaders { headers[field.name] = field.value }
        return try await client.execute(
            uri: target, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    /// The body parsed as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }

    var text: String { String(buffer: body) }
}
