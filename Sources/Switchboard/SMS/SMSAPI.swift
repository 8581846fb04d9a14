import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The ACS SMS API (`POST /sms`, api-version 2021-03-07 and later; opt-out management `sms/optouts:…`), and
/// Switchboard's own SMS APIs (`api-version=2026-12-01`): alphanumeric sender ids and the sandbox handsets.
public struct SMSAPI: Sendable {
    public static let service = APIService(
        name: "sms",
        versions: ["2021-03-07", "2024-12-10-preview", "2025-05-29-preview", "2025-08-01-preview", "2025-09-17", "2026-01-23"])
    /// Opt-out management exists from 2024-12-10-preview.
    public static let optOutService = APIService(
        name: "smsOptOuts", versions: ["2024-12-10-preview", "2025-05-29-preview", "2025-08-01-preview", "2025-09-17", "2026-01-23"])
    public static let ownService = APIService(name: "smsSenders", versions: ["2026-12-01"])

    let sms: SMSService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        [
            Route(.post, "/sms", service: Self.service, auth: auth, maxBodySize: 256 * 1024, handler: send),
            Route(.post, "/sms/optouts:add", service: Self.optOutService, auth: auth, handler: addOptOuts),
            Route(.post, "/sms/optouts:remove", service: Self.optOutService, auth: auth, handler: removeOptOuts),
            Route(.post, "/sms/optouts:check", service: Self.optOutService, auth: auth, handler: checkOptOuts),
            Route(.get, "/sms/alphanumericSenders", service: Self.ownService, auth: auth, handler: listSenders),
            Route(.put, "/sms/alphanumericSenders/{senderId}", service: Self.ownService, auth: auth, handler: putSender),
            Route(.get, "/sms/alphanumericSenders/{senderId}", service: Self.ownService, auth: auth, handler: getSender),
            Route(.delete, "/sms/alphanumericSenders/{senderId}", service: Self.ownService, auth: auth, handler: deleteSender),
            Route(.get, "/sandbox/sms/messages", service: Self.ownService, auth: auth, handler: sandboxMessages),
            Route(.post, "/sandbox/sms:receive", service: Self.ownService, auth: auth, handler: sandboxReceive),
        ]
    }

    // MARK: Sending

    struct SendBody: Decodable {
        struct Recipient: Decodable {
            var to: String
            var repeatabilityRequestId: String?
            var repeatabilityFirstSent: String?
        }

        struct Options: Decodable {
            var enableDeliveryReport: Bool?
            var tag: String?
            var deliveryReportTimeoutInSeconds: Int?
        }

        var from: String
        var smsRecipients: [Recipient]
        var message: String
        var smsSendOptions: Options?
    }

    struct Results: Encodable, Sendable {
        let value: [SMSSendResult]
    }

    @Sendable func send(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(SendBody.self)
        for recipient in body.smsRecipients where recipient.repeatabilityRequestId != nil {
            // ACS: the first-sent time travels with the request id, as an RFC 1123 date.
            guard let sent = recipient.repeatabilityFirstSent, HTTPDate.parse(sent) != nil else {
                throw SMSError.invalid(
                    "repeatabilityFirstSent must accompany repeatabilityRequestId, as an RFC 1123 date.", target: "repeatabilityFirstSent")
            }
        }
        let options = body.smsSendOptions
        // deliveryReportTimeoutInSeconds exists from api-version 2025-09-17.
        if options?.deliveryReportTimeoutInSeconds != nil, !request.apiVersion.isAtLeast("2025-09-17") {
            throw SMSError.invalid(
                "deliveryReportTimeoutInSeconds needs api-version 2025-09-17 or later.", target: "smsSendOptions.deliveryReportTimeoutInSeconds")
        }
        let results = try await sms.send(
            .init(
                from: body.from,
                recipients: body.smsRecipients.map { .init(to: $0.to, repeatabilityRequestID: $0.repeatabilityRequestId) },
                message: body.message, deliveryReport: options?.enableDeliveryReport ?? false, tag: options?.tag,
                reportTimeoutSeconds: options?.deliveryReportTimeoutInSeconds),
            in: request.resource)
        return try JSONBody.response(Results(value: results), status: .accepted)
    }

    // MARK: Opt-outs

    struct OptOutBody: Decodable {
        struct Recipient: Decodable {
            var to: String
        }

        var from: String
        var recipients: [Recipient]
    }

    struct OptOutResult: Encodable, Sendable {
        let to: String
        let httpStatusCode: Int
        let isOptedOut: Bool?
        let errorMessage: String?
    }

    struct OptOutResults: Encodable, Sendable {
        let value: [OptOutResult]
    }

    enum OptOutAction { case add, remove, check }

    func optOuts(_ request: APIRequest, _ action: OptOutAction) async throws -> Response {
        let body = try request.decode(OptOutBody.self)
        guard SMSService.recipientLimit.contains(body.recipients.count) else {
            throw SMSError.invalid("Between 1 and 100 recipients.", target: "recipients")
        }
        let from = try await sms.ownedSender(body.from, in: request.resource)
        var results: [OptOutResult] = []
        for recipient in body.recipients {
            guard let number = MessagingAddress.phoneNumber(recipient.to) else {
                results.append(OptOutResult(to: recipient.to, httpStatusCode: 400, isOptedOut: nil, errorMessage: "Invalid To phone number format."))
                continue
            }
            switch action {
            case .add: try await sms.optOut(number, from: from, in: request.resource)
            case .remove: try await sms.optIn(number, from: from, in: request.resource, serverURL: Self.serverURL(request))
            case .check: break
            }
            let opted = try await sms.isOptedOut(number, from: from, in: request.resource)
            results.append(OptOutResult(to: number, httpStatusCode: 200, isOptedOut: opted, errorMessage: nil))
        }
        return try JSONBody.response(OptOutResults(value: results))
    }

    @Sendable func addOptOuts(_ request: APIRequest) async throws -> Response { try await optOuts(request, .add) }
    @Sendable func removeOptOuts(_ request: APIRequest) async throws -> Response { try await optOuts(request, .remove) }
    @Sendable func checkOptOuts(_ request: APIRequest) async throws -> Response { try await optOuts(request, .check) }

    static func serverURL(_ request: APIRequest) -> String {
        String(request.endpoint.dropLast(request.resource.name.count + 1))
    }

    // MARK: Alphanumeric senders

    struct SenderBody: Decodable {
        var countries: [String]
    }

    @Sendable func putSender(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(SenderBody.self)
        let (sender, created) = try await sms.putAlphanumericSender(request.parameter("senderId"), countries: body.countries, in: request.resource)
        return try JSONBody.response(sender, status: created ? .created : .ok)
    }

    @Sendable func getSender(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(try await sms.alphanumericSender(request.parameter("senderId"), in: request.resource))
    }

    @Sendable func deleteSender(_ request: APIRequest) async throws -> Response {
        try await sms.deleteAlphanumericSender(request.parameter("senderId"), in: request.resource)
        return Response(status: .noContent)
    }

    @Sendable func listSenders(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(Page(value: try await sms.alphanumericSenders(in: request.resource), nextLink: nil))
    }

    // MARK: Sandbox handsets

    struct SandboxCursor: Codable {
        let at: Int64
        let id: String
    }

    @Sendable func sandboxMessages(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 50, maximum: 500)
        let cursor = try Paging.cursor(request, as: SandboxCursor.self)
        var handset: String?
        if let text = request.query["handset"] {
            guard let number = MessagingAddress.phoneNumber(text) else {
                throw SMSError.invalid("handset must be an E.164 phone number.", target: "handset")
            }
            handset = number
        }
        let entries = try await sms.sandboxMessages(handset: handset, before: cursor.map { ($0.at, $0.id) }, limit: size, in: request.resource)
        let next =
            entries.count == size
            ? entries.last.map {
                Paging.nextLink(
                    request, path: "/sandbox/sms/messages", cursor: SandboxCursor(at: $0.at.milliseconds, id: $0.id),
                    keeping: ["maxPageSize", "handset"])
            } : nil
        return try JSONBody.response(Page(value: entries, nextLink: next ?? nil))
    }

    struct ReceiveBody: Decodable {
        var from: String
        var to: String
        var message: String
    }

    struct Received: Encodable, Sendable {
        let messageId: String
    }

    @Sendable func sandboxReceive(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ReceiveBody.self)
        let id = try await sms.sandboxReceive(
            from: body.from, to: body.to, text: body.message, in: request.resource, serverURL: Self.serverURL(request))
        return try JSONBody.response(Received(messageId: id), status: .accepted)
    }
}
