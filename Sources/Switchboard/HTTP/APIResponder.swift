import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The request pipeline every call goes through, in this order:
///
/// 1. the first path segment names the resource; `/-/…` are the server's own endpoints (step 2 against the
///    system route table, then 5–7 without a resource or api-version);
/// 2. the rest of the path is matched against the route table (404 / 405 in the ACS shape);
/// 3. `api-version` is checked against the route's service;
/// 4. the resource is looked up in the directory (an unknown or deleted resource is a 401, like a bad key);
/// 5. the body is read up to the route's limit (413);
/// 6. the route's authenticator checks the caller (an access key, a user token, or nothing for public links);
/// 7. the handler runs; any error it throws is answered in the ACS error shape.
///
/// Every response carries `x-ms-request-id`, `MS-CV` and the echoed `x-ms-client-request-id`, and every request
/// is counted and logged by route template (never by path, which holds ids).
public struct APIResponder: HTTPResponder {
    public typealias Context = SwitchboardRequestContext

    let routes: RouteTable<Route>
    let systemRoutes: RouteTable<SystemRoute>
    let resources: ResourceRegistry
    let metrics: HTTPMetrics
    let scheme: String
    let publicURL: String?
    /// Where each resource's operations and authentication failures are logged.
    let operationLog: OperationLog?

    public init(
        routes: RouteTable<Route>, systemRoutes: RouteTable<SystemRoute>, resources: ResourceRegistry, metrics: HTTPMetrics,
        scheme: String, publicURL: String?, operationLog: OperationLog? = nil
    ) {
        self.operationLog = operationLog
        self.routes = routes
        self.systemRoutes = systemRoutes
        self.resources = resources
        self.metrics = metrics
        self.scheme = scheme
        self.publicURL = publicURL
    }

    /// What the log line and metrics say about a request.
    struct Outcome {
        var route = "unmatched"
        var service: APIService?
        var resource: String?
        var handle: ResourceHandle?
        var principal: Principal?
        /// Why the credentials did not check, when they did not.
        var authenticationFailure: String?
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        let requestID = UUID().uuidString.lowercased()
        var logger = context.logger
        logger[metadataKey: "request.id"] = "\(requestID)"
        var outcome = Outcome()
        var response: Response
        do {
            response = try await dispatch(request, requestID: requestID, logger: logger, outcome: &outcome)
        } catch {
            response = Self.render(error, requestID: requestID, logger: logger)
        }
        decorate(&response, request: request, requestID: requestID, service: outcome.service)
        let elapsed = ContinuousClock.now - started
        metrics.record(route: outcome.route, status: response.status.code, duration: elapsed)
        var metadata: Logger.Metadata = [
            "http.method": "\(request.method.rawValue)", "http.route": "\(outcome.route)",
            "http.status": "\(response.status.code)", "duration.ms": "\(elapsed.milliseconds)",
        ]
        if let resource = outcome.resource { metadata["resource"] = "\(resource)" }
        // A 501 is a deliberate answer (an operation Switchboard does not offer), not a failure of the server.
        let failed = response.status.code >= 500 && response.status != .notImplemented
        logger.log(level: failed ? .error : .info, "request", metadata: metadata)
        if let operationLog, let resource = outcome.handle {
            let caller: OperationLogEntry.Caller? =
                switch outcome.principal {
                case .accessKey: .accessKey
                case .user(let user): .user(user.id.rawID)
                case .anonymous: .anonymous
                case nil: nil
                }
            await operationLog.record(
                OperationLogEntry(
                    category: outcome.authenticationFailure == nil ? .api : .authentication,
                    operation: outcome.route, status: "\(response.status.code)", duration: elapsed, caller: caller,
                    details: outcome.authenticationFailure, requestID: requestID, time: operationLog.now),
                resource: resource)
        }
        return response
    }

    func dispatch(_ request: Request, requestID: String, logger: Logger, outcome: inout Outcome) async throws -> Response {
        var segments = request.uri.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.last == "" { segments = segments.dropLast() }
        guard let first = segments.first, !first.isEmpty else {
            throw APIError.notFound(code: "NotFound", "Nothing is served at this path. Resource endpoints look like https://host:port/RESOURCE.")
        }
        let path = try Self.decode(segments.dropFirst())
        let query = QueryParameters(target: request.head.path ?? "/")
        if first == "-" {
            return try await dispatchSystem(request, path: path, query: query, requestID: requestID, logger: logger, outcome: &outcome)
        }

        let resourceName = String(first)
        let (route, parameters) = try Self.match(routes, method: request.method, path: path)
        outcome.route = route.label
        outcome.service = route.service

        let apiVersion = try Self.checkVersion(query["api-version"], service: route.service)

        guard ResourceName.isValid(first), let resource = try await resources.handle(named: resourceName) else {
            logger.debug("authentication failed", metadata: ["reason": "unknown resource"])
            throw APIError.unauthorized()
        }
        outcome.resource = resource.name
        outcome.handle = resource
        var logger = logger
        logger[metadataKey: "resource"] = "\(resource.name)"

        let body = try await Self.readBody(request, limit: route.maxBodySize)
        let principal: Principal
        do {
            principal = try await authenticate(
                request, body: body, query: query, with: route.auth, resource: resource, resourceName: resource.name, logger: logger)
        } catch let failure as AuthenticationFailed {
            outcome.authenticationFailure = failure.reason
            throw APIError.unauthorized()
        }
        outcome.principal = principal
        let apiRequest = APIRequest(
            method: request.method, headers: request.headers, body: body, parameters: parameters, query: query,
            apiVersion: apiVersion, resource: resource, principal: principal, requestID: requestID, logger: logger,
            endpoint: endpoint(for: request, resource: resource.name))
        return try await route.handler(apiRequest)
    }

    func dispatchSystem(
        _ request: Request, path: [String], query: QueryParameters, requestID: String, logger: Logger, outcome: inout Outcome
    ) async throws -> Response {
        let (route, parameters) = try Self.match(systemRoutes, method: request.method, path: path)
        outcome.route = route.label
        let body = try await Self.readBody(request, limit: route.maxBodySize)
        let principal = try await authenticate(request, body: body, query: query, with: route.auth, resource: nil, resourceName: nil, logger: logger)
        return try await route.handler(
            SystemRequest(
                method: request.method, headers: request.headers, body: body, parameters: parameters, query: query, principal: principal,
                requestID: requestID, logger: logger))
    }

    // MARK: Steps

    /// The path's segments after the first, percent-decoded.
    static func decode(_ segments: ArraySlice<Substring>) throws -> [String] {
        try segments.map { segment in
            guard let decoded = segment.removingPercentEncoding else { throw APIError.notFound("The path is not valid.") }
            return decoded
        }
    }

    static func match<Entry>(_ table: RouteTable<Entry>, method: HTTPRequest.Method, path: [String]) throws -> (Entry, [String: String]) {
        switch table.match(method: method, path: path) {
        case .found(let route, let parameters):
            return (route, parameters)
        case .methodNotAllowed(let allowed):
            throw APIError(
                status: .methodNotAllowed, code: "MethodNotAllowed", message: "\(method.rawValue) is not allowed here.",
                headers: ["Allow": allowed.map(\.rawValue).joined(separator: ", ")])
        case .notFound:
            throw APIError.notFound(code: "NotFound", "No operation is served at this path.")
        }
    }

    static func checkVersion(_ value: String?, service: APIService) throws -> APIVersion {
        let headers = ["api-supported-versions": service.supportedVersionsHeader]
        let value = value.map(sdkEnumSpelling)
        guard let value, !value.isEmpty else {
            throw APIError(
                status: .badRequest, code: "MissingApiVersionParameter",
                message: "The api-version query parameter is required. Supported versions: \(service.supportedVersionsHeader).",
                target: "api-version", headers: headers)
        }
        guard service.versions.contains(value) else {
            throw APIError(
                status: .badRequest, code: "UnsupportedApiVersion",
                message: "The api-version '\(value)' is not supported. Supported versions: \(service.supportedVersionsHeader).",
                target: "api-version", headers: headers)
        }
        return APIVersion(value)
    }

    /// The api-version an SDK meant when it wrote its version enum's name instead of its value: on Python 3.11+,
    /// `str()` of a `str`-mixin enum is `ApiVersion.V2025_03_13`, and `azure-communication-rooms` 1.2.0 puts that
    /// in the query of every `nextLink` it follows. Anything else is returned as it is.
    static func sdkEnumSpelling(_ value: String) -> String {
        guard value.hasPrefix("ApiVersion.V"), value.count > "ApiVersion.V".count else { return value }
        return value.dropFirst("ApiVersion.V".count).replacingOccurrences(of: "_", with: "-").lowercased()
    }

    static func readBody(_ request: Request, limit: Int) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw APIError.contentTooLarge(limit: limit)
        }
        do {
            return try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.contentTooLarge(limit: limit)
        } catch {
            // The client went away or was cut off mid-body (the edge's body timeout): its fault, not the server's,
            // and nobody will read the answer.
            throw APIError.badRequest(code: "IncompleteRequestBody", "The connection closed before the request body was complete.")
        }
    }

    /// Runs the route's authenticator. A failed check is a bare 401 (logged with its reason); anything else — a
    /// database that cannot be reached while checking revocation — is not the caller's fault and goes to
    /// ``render(_:requestID:logger:)``, which answers 503 rather than a misleading 401.
    func authenticate(
        _ request: Request, body: ByteBuffer, query: QueryParameters, with authenticator: any Authenticator, resource: ResourceHandle?,
        resourceName: String?, logger: Logger
    ) async throws -> Principal {
        let credentials = Credentials(
            method: request.method, target: request.head.path ?? "/", headers: request.headers, query: query, body: body,
            signedHosts: resourceName.map { hostCandidates(for: request, resource: $0) } ?? [])
        do {
            return try await authenticator.authenticate(credentials, resource: resource)
        } catch let failure as AuthenticationFailure {
            logger.notice("authentication failed", metadata: ["reason": "\(failure)"])
            throw AuthenticationFailed(reason: "\(failure)")
        }
    }

    /// A failed check, with its reason for the resource's log (the caller only ever sees a bare 401).
    struct AuthenticationFailed: Error, APIErrorConvertible {
        let reason: String
        var apiError: APIError { .unauthorized() }
    }

    /// The spellings of `host[:port]/resource` a client may have signed: the `Host` header as sent, with and
    /// without the scheme's default port, with a trailing slash, and the configured public URL.
    func hostCandidates(for request: Request, resource: String) -> [String] {
        var authorities: [String] = []
        if let authority = request.head.authority {
            authorities.append(authority)
            let defaultPort = scheme == "https" ? ":443" : ":80"
            let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
            if authority.hasSuffix(defaultPort) {
                authorities.append(String(authority.dropLast(defaultPort.count)))
            } else if !hasPort {
                authorities.append(authority + defaultPort)
            }
        }
        if let publicURL, let host = URLComponents(string: publicURL).flatMap(Self.authority) {
            authorities.append(host)
        }
        return authorities.flatMap { ["\($0)/\(resource)", "\($0)/\(resource)/"] }
    }

    static func authority(_ components: URLComponents) -> String? {
        guard let host = components.host else { return nil }
        let path = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        return (components.port.map { "\(host):\($0)" } ?? host) + path
    }

    func endpoint(for request: Request, resource: String) -> String {
        if let publicURL { return ConnectionString.endpoint(baseURL: publicURL, resourceName: resource) }
        return "\(scheme)://\(request.head.authority ?? "localhost")/\(resource)"
    }

    // MARK: Responses

    static func render(_ error: any Error, requestID: String, logger: Logger) -> Response {
        let apiError: APIError
        switch error {
        case let convertible as any APIErrorConvertible:
            apiError = convertible.apiError
        case _ where DatabaseErrorDescription.isTransient(error):
            logger.error("database unavailable", metadata: ["error": "\(DatabaseErrorDescription.describe(error))"])
            apiError = .serviceUnavailable("A database is not reachable; retry shortly.")
        default:
            logger.error("unexpected error", metadata: ["error.type": "\(type(of: error))", "error": "\(DatabaseErrorDescription.describe(error))"])
            apiError = .internalError(requestID: requestID)
        }
        return response(for: apiError)
    }

    static func response(for error: APIError) -> Response {
        var headers: HTTPFields = [:]
        headers[errorCode] = error.code
        for (name, value) in error.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        if error.status == .unauthorized {
            headers[.wwwAuthenticate] = "HMAC-SHA256, Bearer"
        }
        do {
            return try JSONBody.response(error.body, status: error.status, headers: headers)
        } catch {
            return Response(status: .internalServerError)
        }
    }

    func decorate(_ response: inout Response, request: Request, requestID: String, service: APIService?) {
        response.headers[Self.requestIDHeader] = requestID
        response.headers[Self.correlationVector] = Self.makeCorrelationVector()
        if let clientRequestID = request.headers[Self.clientRequestID] {
            response.headers[Self.clientRequestID] = clientRequestID
        }
        if let service, response.headers[Self.supportedVersions] == nil {
            response.headers[Self.supportedVersions] = service.supportedVersionsHeader
        }
        if scheme == "https" {
            response.headers[Self.strictTransportSecurity] = "max-age=2592000"
        }
    }

    static func makeCorrelationVector() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString() + ".0"
    }

    static let requestIDHeader = HTTPField.Name("x-ms-request-id")!
    static let clientRequestID = HTTPField.Name("x-ms-client-request-id")!
    static let correlationVector = HTTPField.Name("MS-CV")!
    static let supportedVersions = HTTPField.Name("api-supported-versions")!
    static let errorCode = HTTPField.Name("x-ms-error-code")!
    static let strictTransportSecurity = HTTPField.Name("Strict-Transport-Security")!
}
