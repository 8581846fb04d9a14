import Foundation
import HTTPTypes
import Hummingbird
import SQLKit

/// The server's own endpoints, under `/-/` where no resource name can be:
/// `/-/healthz` (the process is up), `/-/readyz` (the directory and the open stores answer) and
/// `/-/metrics` (Prometheus text format).
public struct SystemEndpoints: Sendable {
    let directory: Directory
    let stores: StoreRegistry
    let metrics: HTTPMetrics
    let resources: ResourceRegistry
    let subscriptions: EventSubscriptionService

    public init(
        directory: Directory, stores: StoreRegistry, metrics: HTTPMetrics, resources: ResourceRegistry, subscriptions: EventSubscriptionService
    ) {
        self.directory = directory
        self.stores = stores
        self.metrics = metrics
        self.resources = resources
        self.subscriptions = subscriptions
    }

    func respond(to request: Request, path: [Substring]) async throws -> Response {
        if path.first == "realtime" {
            // A valid upgrade never reaches the HTTP pipeline (see RealtimeEndpoint).
            if request.headers[.upgrade]?.lowercased() == "websocket" { throw APIError.unauthorized() }
            throw APIError(
                status: .upgradeRequired, code: "UpgradeRequired",
                message: "This endpoint speaks WebSocket: connect with wss:// and a user access token.",
                headers: ["Upgrade": "websocket"])
        }
        if path.count == 4, path[0] == "eventgrid", path[1] == "validate" {
            // The validationUrl of a SubscriptionValidationEvent: opening it validates the subscription.
            let code = request.uri.queryParameters["code"].map(String.init) ?? ""
            guard request.method == .get, let resource = try await resources.handle(named: String(path[2])),
                try await subscriptions.validateManually(String(path[3]), code: code, resource: resource)
            else { throw APIError.notFound(code: "ValidationNotFound", "The validation link is not valid.") }
            return try JSONBody.response(["status": "validated"])
        }
        guard request.method == .get || request.method == .head else {
            throw APIError(status: .methodNotAllowed, code: "MethodNotAllowed", message: "Only GET is allowed here.")
        }
        switch path.joined(separator: "/") {
        case "healthz":
            return try JSONBody.response(["status": "ok"])
        case "readyz":
            var checks: [String: String] = [:]
            var ready = true
            do {
                _ = try await directory.revision()
                checks["directory"] = "ok"
            } catch {
                checks["directory"] = "unavailable"
                ready = false
            }
            for (geography, store) in await stores.openStores() {
                do {
                    try await store.read { db in _ = try await db.raw("SELECT 1").all() }
                    checks["store.\(geography.compactName)"] = "ok"
                } catch {
                    checks["store.\(geography.compactName)"] = "unavailable"
                    ready = false
                }
            }
            struct Readiness: Encodable {
                let status: String
                let checks: [String: String]
            }
            return try JSONBody.response(
                Readiness(status: ready ? "ok" : "unavailable", checks: checks),
                status: ready ? .ok : .serviceUnavailable)
        case "metrics":
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(string: metrics.exposition())))
        default:
            throw APIError.notFound("Nothing is served at this path.")
        }
    }
}
