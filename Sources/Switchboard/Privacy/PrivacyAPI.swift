import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Data-subject requests (`/privacy/…`, `api-version=2026-12-01`, signed with the resource's access key): exports
/// and erasures as long-running operations (`Operation-Location`, as the email send), an export's archive, and the
/// public half of the key that signs erasure receipts.
public struct PrivacyAPI: Sendable {
    public static let service = APIService(name: "privacy", versions: ["2026-12-01"])

    let privacy: PrivacyService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.post, "/privacy/exports", service: s, auth: auth) { try await submit(.export, $0) },
            Route(.get, "/privacy/exports/{operationId}", service: s, auth: auth) { try await status(.export, $0) },
            Route(.get, "/privacy/exports/{operationId}/archive", service: s, auth: auth, handler: archive),
            Route(.post, "/privacy/erasures", service: s, auth: auth) { try await submit(.erasure, $0) },
            Route(.get, "/privacy/erasures/{operationId}", service: s, auth: auth) { try await status(.erasure, $0) },
            Route(.get, "/privacy/erasures/{operationId}/receipt", service: s, auth: auth, handler: receipt),
            Route(.get, "/privacy/receiptKey", service: s, auth: auth, handler: receiptKey),
        ]
    }

    struct RequestBody: Decodable {
        var identifiers: PrivacyService.Identifiers
    }

    func submit(_ kind: PrivacyService.Kind, _ request: APIRequest) async throws -> Response {
        let body = try request.decode(RequestBody.self)
        let subjects = try PrivacyService.subjects(body.identifiers, in: request.resource)
        let view = try await privacy.submit(kind, subjects: subjects, in: request.resource)
        var headers = HTTPFields()
        headers[HTTPField.Name("Operation-Location")!] = operationLocation(kind, view.id, request)
        headers[HTTPField.Name("Operation-Id")!] = view.id
        headers[.retryAfter] = "1"
        return try JSONBody.response(view, status: .accepted, headers: headers)
    }

    func status(_ kind: PrivacyService.Kind, _ request: APIRequest) async throws -> Response {
        var view = try await privacy.request(kind, request.parameter("operationId"), in: request.resource)
        var headers = HTTPFields()
        if view.status.isFinal {
            if view.hasArchive { view.archiveLocation = operationLocation(.export, view.id, request, suffix: "/archive") }
        } else {
            headers[.retryAfter] = "1"
        }
        return try JSONBody.response(view, headers: headers)
    }

    @Sendable func archive(_ request: APIRequest) async throws -> Response {
        let id = request.parameter("operationId")
        let data = try await privacy.archive(id, in: request.resource)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentDisposition] = "attachment; filename=\"personal-data-\(id.lowercased()).json\""
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    @Sendable func receipt(_ request: APIRequest) async throws -> Response {
        let id = request.parameter("operationId")
        let view = try await privacy.request(.erasure, id, in: request.resource)
        guard let receipt = view.receipt else { throw PrivacyError.notFinished(id, status: view.status) }
        var headers = HTTPFields()
        headers[.contentType] = "application/jose"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: receipt)))
    }

    @Sendable func receiptKey(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(privacy.receiptKey(of: request.resource))
    }

    func operationLocation(_ kind: PrivacyService.Kind, _ id: String, _ request: APIRequest, suffix: String = "") -> String {
        let collection = kind == .export ? "exports" : "erasures"
        return "\(request.endpoint)/privacy/\(collection)/\(id)\(suffix)?api-version=\(request.apiVersion.rawValue)"
    }
}
