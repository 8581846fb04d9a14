import HTTPTypes
import Hummingbird

/// How a route's caller proves who it is.
public enum AuthRequirement: Sendable {
    /// An HMAC signature with one of the resource's access keys.
    case accessKey
    /// A user access token issued by the resource (`Authorization: Bearer`).
    case userToken
}

/// One operation of the API: method and path under the resource, its service (for api-versions), how it
/// authenticates, how large a body it takes, and the handler.
public struct Route: Sendable {
    public let method: HTTPRequest.Method
    public let pattern: RoutePattern
    public let service: APIService
    public let auth: AuthRequirement
    public let maxBodySize: Int
    public let handler: @Sendable (APIRequest) async throws -> Response

    public init(
        _ method: HTTPRequest.Method, _ pattern: RoutePattern, service: APIService, auth: AuthRequirement,
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

/// A path under a resource, e.g. `/identities/{id}/:issueAccessToken`. `{name}` captures one segment; every other
/// segment matches literally (case-insensitively), after the request's segment is percent-decoded.
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
        "/" + segments.map { segment in
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

/// Every route of the server, matched in registration order.
public struct RouteTable: Sendable {
    public let routes: [Route]

    public init(_ routes: [Route]) {
        self.routes = routes
    }

    enum Match {
        case found(Route, [String: String])
        case methodNotAllowed([HTTPRequest.Method])
        case notFound
    }

    func match(method: HTTPRequest.Method, path: [String]) -> Match {
        var allowed: [HTTPRequest.Method] = []
        for route in routes {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.method == method { return .found(route, parameters) }
            allowed.append(route.method)
        }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }
}
