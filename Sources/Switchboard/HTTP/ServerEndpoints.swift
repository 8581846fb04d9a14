import Foundation
import HTTPTypes
import Hummingbird
import SQLKit

/// The server's own health endpoints, under `/-/`: `/-/healthz` (the process is up), `/-/readyz` (the directory and
/// the open stores answer) and `/-/metrics` (Prometheus text format).
public struct ServerEndpoints: Sendable {
    let directory: Directory
    let stores: StoreRegistry
    let metrics: HTTPMetrics

    public init(directory: Directory, stores: StoreRegistry, metrics: HTTPMetrics) {
        self.directory = directory
        self.stores = stores
        self.metrics = metrics
    }

    public var routes: [SystemRoute] {
        [
            SystemRoute(.get, "/healthz", auth: NoCredentials()) { _ in try JSONBody.response(["status": "ok"]) },
            SystemRoute(.get, "/readyz", auth: NoCredentials(), handler: readiness),
            SystemRoute(.get, "/metrics", auth: NoCredentials()) { [metrics] _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: .init(string: metrics.exposition())))
            },
        ]
    }

    struct Readiness: Encodable {
        let status: String
        let checks: [String: String]
    }

    @Sendable func readiness(_ request: SystemRequest) async throws -> Response {
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
                try await store.read { db in _ = try await db.select().column(SQLLiteral.numeric("1")).first() }
                checks["store.\(geography.compactName)"] = "ok"
            } catch {
                checks["store.\(geography.compactName)"] = "unavailable"
                ready = false
            }
        }
        return try JSONBody.response(
            Readiness(status: ready ? "ok" : "unavailable", checks: checks), status: ready ? .ok : .serviceUnavailable)
    }
}
