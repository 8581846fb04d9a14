import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET {endpoint}/logs`, `GET {endpoint}/logs:export` (JSON lines) and `POST {endpoint}/logs:purge`
/// (`api-version=2026-12-01`, the resource's access key): the resource's operational log, filtered by category,
/// time and identifier, and every entry naming an identifier removed ("to delete any potentially personal data,
/// use these procedures").
public struct OperationLogAPI: Sendable {
    public static let service = APIService(name: "logs", versions: ["2026-12-01"])

    let log: OperationLog

    struct Cursor: Codable {
        let after: String
    }

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        return [
            Route(.get, "/logs", service: s, auth: auth, handler: list),
            Route(.get, "/logs:export", service: s, auth: auth, handler: export),
            Route(.post, "/logs:purge", service: s, auth: auth, maxBodySize: 4096, handler: purge),
        ]
    }

    func filter(_ request: APIRequest) throws -> OperationLogStore.Filter {
        var filter = OperationLogStore.Filter()
        if let text = request.query["category"], !text.isEmpty {
            guard let category = OperationLogEntry.Category(rawValue: text) else {
                let names = OperationLogEntry.Category.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest(code: "InvalidCategory", "category must be one of \(names).", target: "category")
            }
            filter.category = category
        }
        filter.start = try Paging.date(request, "startTime").map { Timestamp($0) }
        filter.end = try Paging.date(request, "endTime").map { Timestamp($0) }
        if let text = request.query["identifier"], !text.isEmpty {
            filter.subjectIndex = request.resource.crypto.subjectIndex(try Self.subject(text, target: "identifier"))
        }
        return filter
    }

    /// A communication user id, an E.164 number or an email address.
    static func subject(_ text: String, target: String) throws -> SubjectIdentifier {
        if let user = UserID(rawID: text) { return .communicationUser(user.rawID) }
        if let number = MessagingAddress.phoneNumber(text) { return .phoneNumber(number) }
        if let address = MessagingAddress.emailAddress(text) { return .emailAddress(address) }
        throw APIError.badRequest(
            code: "InvalidIdentifier", "'\(text)' is not a communication user id, an E.164 phone number or an email address.", target: target)
    }

    @Sendable func list(_ request: APIRequest) async throws -> Response {
        var query = try filter(request)
        let size = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        query.after = try Paging.cursor(request, as: Cursor.self)?.after
        let filter = query
        await log.flush()
        let resource = request.resource
        let entries = try await resource.store.read { db in try await OperationLogStore.entries(filter, limit: size, resource: resource, in: db) }
        let next =
            entries.count == size
            ? entries.last.map {
                Paging.nextLink(
                    request, path: "/logs", cursor: Cursor(after: $0.id), keeping: ["category", "startTime", "endTime", "identifier", "maxPageSize"])
            } : nil
        return try JSONBody.response(Page(value: entries, nextLink: next ?? nil))
    }

    /// Every matching entry as JSON lines (`application/x-ndjson`), read a page at a time.
    @Sendable func export(_ request: APIRequest) async throws -> Response {
        var filter = try filter(request)
        await log.flush()
        let resource = request.resource
        let encoder = JSONBody.encoder
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var body = ByteBuffer()
        while true {
            let page = try await resource.store.read { [filter] db in
                try await OperationLogStore.entries(filter, limit: 1000, resource: resource, in: db)
            }
            for entry in page {
                body.writeBytes(try encoder.encode(entry))
                body.writeString("\n")
            }
            guard page.count == 1000, let last = page.last else { break }
            filter.after = last.id
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[.contentDisposition] = "attachment; filename=\"\(resource.name)-logs.jsonl\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }

    struct PurgeBody: Decodable {
        var identifier: String
    }

    struct Purged: Encodable {
        let purged: Int
    }

    @Sendable func purge(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(PurgeBody.self)
        let index = request.resource.crypto.subjectIndex(try Self.subject(body.identifier, target: "identifier"))
        await log.flush()
        let resource = request.resource
        let purged = try await resource.store.transaction { db in try await OperationLogStore.purge(subjectIndex: index, resource: resource, in: db) }
        try await resource.store.reclaimDeletedRows(in: OperationLogSchema.erasableTables, .withinMaintenanceInterval)
        return try JSONBody.response(Purged(purged: purged))
    }
}
