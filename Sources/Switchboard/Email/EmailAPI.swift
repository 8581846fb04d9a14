import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The ACS Email API (`POST /emails:send`, `GET /emails/operations/{id}`, a long-running operation) and Switchboard's
/// own email APIs (`api-version=2026-12-01`): domains with their DNS records and verification, sender usernames,
/// suppression lists and the sandbox mailbox.
public struct EmailAPI: Sendable {
    public static let service = APIService(
        name: "email", versions: ["2021-10-01-preview", "2023-01-15-preview", "2023-03-31", "2024-07-01-preview", "2025-09-01"])
    public static let ownService = APIService(name: "emailDomains", versions: ["2026-12-01"])

    let email: EmailService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let own = Self.ownService
        // A send may carry 10 MB of attachments, a third larger in base64, and the JSON around them.
        let sendLimit = email.configuration.maxMessageBytes * 4 / 3 + 2 * 1_048_576
        return [
            Route(.post, "/emails:send", service: Self.service, auth: auth, maxBodySize: sendLimit, handler: send),
            Route(.get, "/emails/operations/{operationId}", service: Self.service, auth: auth, handler: operation),
            Route(.get, "/email/domains", service: own, auth: auth, handler: listDomains),
            Route(.put, "/email/domains/{domain}", service: own, auth: auth, handler: putDomain),
            Route(.get, "/email/domains/{domain}", service: own, auth: auth, handler: getDomain),
            Route(.delete, "/email/domains/{domain}", service: own, auth: auth, handler: deleteDomain),
            // `POST …/domains/{domain}:verify`: the action is part of the domain's segment.
            Route(.post, "/email/domains/{domainAction}", service: own, auth: auth, handler: domainAction),
            Route(.get, "/email/domains/{domain}/senders", service: own, auth: auth, handler: listSenders),
            Route(.put, "/email/domains/{domain}/senders/{username}", service: own, auth: auth, handler: putSender),
            Route(.get, "/email/domains/{domain}/senders/{username}", service: own, auth: auth, handler: getSender),
            Route(.delete, "/email/domains/{domain}/senders/{username}", service: own, auth: auth, handler: deleteSender),
            Route(.get, "/email/domains/{domain}/suppressionList", service: own, auth: auth, handler: listSuppressions),
            Route(.put, "/email/domains/{domain}/suppressionList/{address}", service: own, auth: auth, handler: putSuppression),
            Route(.get, "/email/domains/{domain}/suppressionList/{address}", service: own, auth: auth, handler: getSuppression),
            Route(.delete, "/email/domains/{domain}/suppressionList/{address}", service: own, auth: auth, handler: deleteSuppression),
            Route(.get, "/sandbox/email/messages", service: own, auth: auth, handler: sandboxMessages),
            Route(.get, "/sandbox/email/messages/{id}", service: own, auth: auth, handler: sandboxMessage),
            Route(.get, "/sandbox/email/messages/{id}/raw", service: own, auth: auth, handler: sandboxRaw),
        ]
    }

    // MARK: Sending

    struct SendBody: Decodable {
        struct Recipients: Decodable {
            var to: [EmailAddressValue]?
            var cc: [EmailAddressValue]?
            var bcc: [EmailAddressValue]?
        }

        struct Content: Decodable {
            var subject: String
            var plainText: String?
            var html: String?
        }

        struct Attachment: Decodable {
            var name: String
            var contentType: String
            var contentInBase64: String
            var contentId: String?
        }

        var senderAddress: String
        var recipients: Recipients
        var content: Content
        var attachments: [Attachment]?
        var replyTo: [EmailAddressValue]?
        var headers: [String: String]?
        var userEngagementTrackingDisabled: Bool?
    }

    @Sendable func send(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(SendBody.self)
        let operationID = request.headers[HTTPField.Name("Operation-Id")!]
        let view = try await email.send(
            .init(
                senderAddress: body.senderAddress, to: body.recipients.to ?? [], cc: body.recipients.cc ?? [], bcc: body.recipients.bcc ?? [],
                subject: body.content.subject, plainText: body.content.plainText, html: body.content.html,
                attachments: (body.attachments ?? []).map {
                    .init(name: $0.name, contentType: $0.contentType, contentInBase64: $0.contentInBase64, contentId: $0.contentId)
                }, replyTo: body.replyTo ?? [], headers: (body.headers ?? [:]).sorted { $0.key < $1.key },
                trackingDisabled: body.userEngagementTrackingDisabled ?? false),
            operationID: operationID, serverURL: SMSAPI.serverURL(request), in: request.resource)
        var headers = HTTPFields()
        headers[HTTPField.Name("Operation-Location")!] = "\(request.endpoint)/emails/operations/\(view.id)?api-version=\(request.apiVersion.rawValue)"
        headers[HTTPField.Name("Operation-Id")!] = view.id
        headers[.retryAfter] = "1"
        return try JSONBody.response(view, status: .accepted, headers: headers)
    }

    @Sendable func operation(_ request: APIRequest) async throws -> Response {
        let view = try await email.operation(request.parameter("operationId"), in: request.resource)
        var headers = HTTPFields()
        if view.status == "Running" || view.status == "NotStarted" { headers[.retryAfter] = "1" }
        return try JSONBody.response(view, headers: headers)
    }

    // MARK: Domains

    struct DomainBody: Decodable {
        var dkimSelector: String?
    }

    struct Cursor: Codable {
        let after: String
    }

    @Sendable func putDomain(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(DomainBody.self)
        let (view, created) = try await email.putDomain(request.parameter("domain"), selector: body?.dkimSelector, in: request.resource)
        return try JSONBody.response(view, status: created ? .created : .ok)
    }

    @Sendable func getDomain(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await email.domain(request.parameter("domain"), in: request.resource))
    }

    @Sendable func deleteDomain(_ request: APIRequest) async throws -> Response {
        try await email.deleteDomain(request.parameter("domain"), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func domainAction(_ request: APIRequest) async throws -> Response {
        let segment = request.parameter("domainAction")
        guard segment.lowercased().hasSuffix(":verify") else {
            throw APIError.notFound(code: "NotFound", "There is no operation POST /email/domains/\(segment); did you mean {domain}:verify?")
        }
        return try JSONBody.response(try await email.verify(String(segment.dropLast(":verify".count)), in: request.resource))
    }

    @Sendable func listDomains(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let cursor = try Paging.cursor(request, as: Cursor.self)
        let domains = try await email.domains(after: cursor?.after, limit: size, in: request.resource)
        let next =
            domains.count == size
            ? domains.last.map { Paging.nextLink(request, path: "/email/domains", cursor: Cursor(after: $0.domain), keeping: ["maxPageSize"]) } : nil
        return try JSONBody.response(Page(value: domains, nextLink: next ?? nil))
    }

    // MARK: Senders

    struct SenderBody: Decodable {
        var displayName: String?
    }

    @Sendable func putSender(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(SenderBody.self)
        let (view, created) = try await email.putSender(
            request.parameter("username"), domain: request.parameter("domain"), displayName: body?.displayName, in: request.resource)
        return try JSONBody.response(view, status: created ? .created : .ok)
    }

    @Sendable func getSender(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await email.sender(request.parameter("username"), domain: request.parameter("domain"), in: request.resource))
    }

    @Sendable func deleteSender(_ request: APIRequest) async throws -> Response {
        try await email.deleteSender(request.parameter("username"), domain: request.parameter("domain"), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func listSenders(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let cursor = try Paging.cursor(request, as: Cursor.self)
        let domain = request.parameter("domain")
        let senders = try await email.senders(domain: domain, after: cursor?.after, limit: size, in: request.resource)
        let next =
            senders.count == size
            ? senders.last.map {
                Paging.nextLink(
                    request, path: "/email/domains/\(Paging.segment(domain))/senders", cursor: Cursor(after: $0.username), keeping: ["maxPageSize"])
            } : nil
        return try JSONBody.response(Page(value: senders, nextLink: next ?? nil))
    }

    // MARK: Suppression lists

    struct SuppressionBody: Decodable {
        var reason: String?
    }

    struct SuppressionCursor: Codable {
        let after: Int64
    }

    @Sendable func putSuppression(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(SuppressionBody.self)
        let (view, created) = try await email.suppress(
            request.parameter("address"), domain: request.parameter("domain"), reason: body?.reason, in: request.resource)
        return try JSONBody.response(view, status: created ? .created : .ok)
    }

    @Sendable func getSuppression(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await email.suppression(request.parameter("address"), domain: request.parameter("domain"), in: request.resource))
    }

    @Sendable func deleteSuppression(_ request: APIRequest) async throws -> Response {
        try await email.unsuppress(request.parameter("address"), domain: request.parameter("domain"), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func listSuppressions(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 100, maximum: 1000)
        let cursor = try Paging.cursor(request, as: SuppressionCursor.self)
        let domain = request.parameter("domain")
        let entries = try await email.suppressions(domain: domain, after: cursor?.after, limit: size, in: request.resource)
        let next =
            entries.count == size
            ? entries.last.map {
                Paging.nextLink(
                    request, path: "/email/domains/\(Paging.segment(domain))/suppressionList", cursor: SuppressionCursor(after: $0.1),
                    keeping: ["maxPageSize"])
            } : nil
        return try JSONBody.response(Page(value: entries.map(\.0), nextLink: next ?? nil))
    }

    // MARK: Sandbox mailbox

    struct SandboxCursor: Codable {
        let at: Int64
        let id: String
    }

    @Sendable func sandboxMessages(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 50, maximum: 500)
        let cursor = try Paging.cursor(request, as: SandboxCursor.self)
        var recipient: String?
        if let text = request.query["recipient"] {
            guard let address = MessagingAddress.emailAddress(text) else {
                throw EmailError.invalidAddress("recipient must be an email address.", target: "recipient")
            }
            recipient = address
        }
        let entries = try await email.sandboxMessages(
            recipient: recipient, before: cursor.map { ($0.at, $0.id) }, limit: size, in: request.resource)
        let next =
            entries.count == size
            ? entries.last.map {
                Paging.nextLink(
                    request, path: "/sandbox/email/messages", cursor: SandboxCursor(at: $0.at, id: $0.view.id), keeping: ["maxPageSize", "recipient"])
            } : nil
        return try JSONBody.response(Page(value: entries.map(\.view), nextLink: next ?? nil))
    }

    @Sendable func sandboxMessage(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await email.sandboxMessage(request.parameter("id"), in: request.resource).view)
    }

    @Sendable func sandboxRaw(_ request: APIRequest) async throws -> Response {
        let raw = try await email.sandboxRaw(request.parameter("id"), in: request.resource)
        var headers = HTTPFields()
        headers[.contentType] = "message/rfc822"
        headers[.contentDisposition] = "attachment; filename=\"\(request.parameter("id")).eml\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: raw)))
    }
}
