import HTTPTypes
import Hummingbird

/// One operation of the API: method and path under the resource, its service (for api-versions), how its caller
/// authenticates, how large a body it takes, and the handler.
public struct Route: Sendable, RouteEntry {
    public let method: HTTPRequest.Method
    public let pattern: RoutePattern
    public let service: APIService
    public let auth: any Authenticator
    public let maxBodySize: Int
    public let handler: @Sendable (APIRequest) async throws -> Response

    public init(
        _ method: HTTPRequest.Method, _ pattern: RoutePattern, service: APIService, auth: any Authenticator,
        maxBodySize: Int = 64 * 1024, handler: @escaping @Sendable (APIRequest) async throws -> Response
    ) {
        self.method = method
        self.pattern = pattern
        self.service = service
        self.auth = auth
        self.maxBodySize = maxBodySize
        self.handler = handler
    }

    /// `POST /identities/{id}/:issueAccessToken`, for logs and metrics (no ids).
    public var label: String { "\(method.rawValue) \(pattern)" }
}

/// One of the server's own endpoints, under `/-/` where no resource name can be: health, metrics, the real-time
/// endpoint's plain-HTTP answer, public links (a webhook validation URL, later unsubscribe pages) and the console.
/// They belong to no resource and take no `api-version`.
public struct SystemRoute: Sendable, RouteEntry {
    public let method: HTTPRequest.Method
    /// The path after `/-`, e.g. `/eventgrid/validate/{resource}/{name}`.
    public let pattern: RoutePattern
    public let auth: any Authenticator
    public let maxBodySize: Int
    public let handler: @Sendable (SystemRequest) async throws -> Response

    public init(
        _ method: HTTPRequest.Method, _ pattern: RoutePattern, auth: any Authenticator, maxBodySize: Int = 16 * 1024,
        handler: @escaping @Sendable (SystemRequest) async throws -> Response
    ) {
        self.method = method
        self.pattern = pattern
        self.auth = auth
        self.maxBodySize = maxBodySize
        self.handler = handler
    }

    /// `GET /-/healthz`, for logs and metrics.
    public var label: String { "\(method.rawValue) /-\(pattern)" }
}

/// A path under a resource (or under `/-`), e.g. `/identities/{id}/:issueAccessToken`. `{name}` captures one
/// segment; every other segment matches literally (case-insensitively), after the request's segment is
/// percent-decoded.
///
/// Hummingbird's own router is not used: ACS's action segments (`/:add`, `/:issueAccessToken`) would be parameter
/// captures in its path syntax, and Switchboard answers an unknown method with 405 and `Allow`, checks the
/// api-version of each route's service and authenticates over the raw body, all before a handler runs.
public struct RoutePattern: Sendable, Hashable, CustomStringConvertible, ExpressibleByStringLiteral {
    enum Segment: Hashable, Sendable {
        case literal(String)
        case capture(String)
    }

    let segments: [Segment]

    public init(_ text: String) {
        segments = text.split(separator: "/").map { part in
            if part.hasPrefix("{"), part.hasSuffix("}") {
                .capture(String(part.dropFirst().dropLast()))
            } else {
                .literal(part.lowercased())
            }
        }
    }

    public init(stringLiteral value: String) { self.init(value) }

    public var description: String {
        "/"
            + segments.map { segment in
                switch segment {
                case .literal(let text): text
                case .capture(let name): "{\(name)}"
                }
            }.joined(separator: "/")
    }

    /// The captured parameters if `path` (decoded segments) matches.
    func match(_ path: [String]) -> [String: String]? {
        guard path.count == segments.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(segments, path) {
            switch segment {
            case .literal(let text):
                guard value.lowercased() == text else { return nil }
            case .capture(let name):
                guard !value.isEmpty else { return nil }
                parameters[name] = value
            }
        }
        return parameters
    }
}

/// What a route table matches on.
public protocol RouteEntry: Sendable {
    var method: HTTPRequest.Method { get }
    var pattern: RoutePattern { get }
}

/// Routes matched in registration order: the API's, or the server's own.
public struct RouteTable<Entry: RouteEntry>: Sendable {
    public let routes: [Entry]

    public init(_ routes: [Entry]) {
        self.routes = routes
    }

    enum Match {
        case found(Entry, [String: String])
        case methodNotAllowed([HTTPRequest.Method])
        case notFound
    }

    /// The route for `method` and `path`; `HEAD` is served by a `GET` route where there is no `HEAD` one.
    func match(method: HTTPRequest.Method, path: [String]) -> Match {
        var allowed: [HTTPRequest.Method] = []
        var get: (Entry, [String: String])?
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.method == method { return .found(route, parameters) }
            if route.method == .get, get == nil { get = (route, parameters) }
            allowed.append(route.method)
        }
        if method == .head, let (route, parameters) = get { return .found(route, parameters) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }
}
