import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The ACS Advanced Messages API (`api-version=2024-08-30`: send, media download, templates — a Cloud API channel's
/// synced from Meta), and Switchboard's own (`api-version=2026-12-01`): channel registration, templates for the
/// sandbox, and the sandbox's handsets.
///
/// Wire contract: `reference/acs-wire.md` §4.7 and `acs-specs/messages/2024-08-30.json`.
public struct MessagesAPI: Sendable {
    public static let service = APIService(name: "messages", versions: ["2024-02-01", "2024-08-30"])
    public static let ownService = APIService(name: "messagesChannels", versions: ["2026-12-01"])

    static let repeatabilityRequestID = HTTPField.Name("Repeatability-Request-ID")!
    static let repeatabilityFirstSent = HTTPField.Name("Repeatability-First-Sent")!
    static let repeatabilityResult = HTTPField.Name("Repeatability-Result")!

    let messages: MessagesService

    public func routes(accessKey auth: any Authenticator) -> [Route] {
        let s = Self.service
        let own = Self.ownService
        return [
            Route(.post, "/messages/notifications:send", service: s, auth: auth, maxBodySize: 256 * 1024, handler: send),
            Route(.get, "/messages/streams/{id}", service: s, auth: auth, handler: media),
            Route(.get, "/messages/channels/{channelId}/templates", service: s, auth: auth, handler: listTemplates),
            Route(.put, "/messages/channels/{channelId}", service: own, auth: auth, handler: putChannel),
            Route(.get, "/messages/channels/{channelId}", service: own, auth: auth, handler: getChannel),
            Route(.delete, "/messages/channels/{channelId}", service: own, auth: auth, handler: deleteChannel),
            Route(.put, "/messages/channels/{channelId}/templates/{name}", service: own, auth: auth, handler: putTemplate),
            Route(.delete, "/messages/channels/{channelId}/templates/{name}", service: own, auth: auth, handler: deleteTemplate),
            Route(.get, "/sandbox/whatsapp/messages", service: own, auth: auth, handler: sandboxMessages),
            Route(.post, "/sandbox/whatsapp:receive", service: own, auth: auth, maxBodySize: 8 << 20, handler: sandboxReceive),
        ]
    }

    // MARK: Sending

    @Sendable func send(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(SendBody.self)
        let content = try body.validated()
        guard let channel = body.channelRegistrationId else {
            throw MessagesError.invalid("channelRegistrationId is required.", target: "channelRegistrationId")
        }
        guard let to = body.to else { throw MessagesError.invalid("to is required.", target: "to") }
        if let sent = request.headers[Self.repeatabilityFirstSent], HTTPDate.parse(sent) == nil {
            throw MessagesError.invalid("Repeatability-First-Sent must be an RFC 1123 date.", target: "Repeatability-First-Sent")
        }
        let requestID = request.headers[Self.repeatabilityRequestID]
        if let requestID, requestID.isEmpty || requestID.count > 128 {
            throw MessagesError.invalid("Repeatability-Request-ID must be 1-128 characters.", target: "Repeatability-Request-ID")
        }
        let (receipts, replayed) = try await messages.send(
            channel: channel, to: to, content: content, requestID: requestID, in: request.resource)
        var headers = HTTPFields()
        if requestID != nil { headers[Self.repeatabilityResult] = replayed ? "rejected" : "accepted" }
        return try JSONBody.response(SendResult(receipts: receipts), status: .accepted, headers: headers)
    }

    @Sendable func media(_ request: APIRequest) async throws -> Response {
        let (data, mimeType) = try await messages.media(request.parameter("id"), in: request.resource)
        return Response(status: .ok, headers: [.contentType: mimeType], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Templates

    @Sendable func listTemplates(_ request: APIRequest) async throws -> Response {
        let channel = request.parameter("channelId")
        let size = try Paging.pageSize(request, name: "maxpagesize", defaultSize: 100, maximum: 100)
        let items = try await messages.templates(
            channel: channel, after: try Paging.cursor(request, as: MessagesStore.TemplateCursor.self), limit: size + 1, in: request.resource)
        let page = Array(items.prefix(size))
        let next =
            items.count > size
            ? page.last.map {
                Paging.nextLink(
                    request, path: "/messages/channels/\(Paging.segment(channel))/templates",
                    cursor: MessagesStore.TemplateCursor(n: $0.name, l: $0.language), keeping: ["maxpagesize"])
            } : nil
        return try JSONBody.response(Page(value: page, nextLink: next ?? nil))
    }

    struct TemplateBody: Decodable {
        let status: String?
        let content: JSONValue?
    }

    @Sendable func putTemplate(_ request: APIRequest) async throws -> Response {
        let body = try request.decodeIfPresent(TemplateBody.self)
        let template = TemplateModel(
            name: request.parameter("name"), language: request.query["language"] ?? "", status: body?.status ?? "approved", content: body?.content)
        let (stored, created) = try await messages.putTemplate(template, channel: request.parameter("channelId"), in: request.resource)
        return try JSONBody.response(stored, status: created ? .created : .ok)
    }

    @Sendable func deleteTemplate(_ request: APIRequest) async throws -> Response {
        try await messages.deleteTemplate(
            request.parameter("name"), language: request.query["language"] ?? "", channel: request.parameter("channelId"), in: request.resource)
        return Response(status: .noContent)
    }

    // MARK: Channels

    struct ChannelBody: Decodable {
        let kind: String?
        let phoneNumberId: String?
        let accessToken: String?
        let appSecret: String?
        let verifyToken: String?
        let businessAccountId: String?
    }

    @Sendable func putChannel(_ request: APIRequest) async throws -> Response {
        let body = try request.decode(ChannelBody.self)
        guard let kind = WhatsAppChannel.Kind(rawValue: body.kind ?? "") else {
            throw MessagesError.invalid("kind must be sandbox or cloudApi.", target: "kind")
        }
        let (channel, created) = try await messages.putChannel(
            request.parameter("channelId"),
            .init(
                kind: kind, phoneNumberID: body.phoneNumberId, accessToken: body.accessToken, appSecret: body.appSecret,
                verifyToken: body.verifyToken, businessAccountID: body.businessAccountId), in: request.resource)
        return try JSONBody.response(ChannelModel(channel, resource: request.resource), status: created ? .created : .ok)
    }

    @Sendable func getChannel(_ request: APIRequest) async throws -> Response {
        try JSONBody.response(
            ChannelModel(try await messages.channel(request.parameter("channelId"), in: request.resource), resource: request.resource))
    }

    @Sendable func deleteChannel(_ request: APIRequest) async throws -> Response {
        try await messages.deleteChannel(request.parameter("channelId"), in: request.resource)
        return Response(status: .noContent)
    }

    // MARK: The sandbox's handsets

    @Sendable func sandboxMessages(_ request: APIRequest) async throws -> Response {
        let size = try Paging.pageSize(request, defaultSize: 50, maximum: 500)
        var handset: String?
        if let text = request.query["handset"] {
            guard let number = MessagingAddress.phoneNumber(text) else {
                throw MessagesError.invalid("handset must be an E.164 phone number.", target: "handset")
            }
            handset = number
        }
        let rows = try await messages.sandboxMessages(
            handset: handset, before: try Paging.cursor(request, as: MessagesStore.SandboxCursor.self), limit: size, in: request.resource)
        let next =
            rows.count == size
            ? rows.last.map { Paging.nextLink(request, path: "/sandbox/whatsapp/messages", cursor: $0.1, keeping: ["maxPageSize", "handset"]) }
            : nil
        return try JSONBody.response(Page(value: rows.map { $0.0 }, nextLink: next ?? nil))
    }

    struct ReceiveBody: Decodable {
        struct Media: Decodable {
            let mimeType: String?
            let fileName: String?
            let caption: String?
            /// The bytes, base64.
            let data: String?
        }

        let channelRegistrationId: String?
        let from: String?
        let text: String?
        let media: Media?
    }

    struct Received: Encodable, Sendable {
        let messageId: String
        let mediaId: String?
    }

    static let sandboxMediaLimit = 5 << 20

    @Sendable func sandboxReceive(_ request: APIRequest) async throws -> Response {
        try MessagesService.checkGeography(request.resource)
        let body = try request.decode(ReceiveBody.self)
        let channel = try await messages.channel(body.channelRegistrationId ?? "", in: request.resource)
        guard channel.kind == .sandbox else {
            throw MessagesError.invalid(
                "Only a sandbox channel's handsets are driven here; a Cloud API channel receives through its webhook.",
                target: "channelRegistrationId")
        }
        guard let from = body.from.flatMap(MessagingAddress.phoneNumber) else {
            throw MessagesError.invalid("from must be an E.164 phone number.", target: "from")
        }
        var media: MessagesService.Inbound.Media?
        var type = "text"
        if let given = body.media {
            guard let mimeType = given.mimeType, mimeType.contains("/"), mimeType.count <= 128, SendBody.printable(mimeType) else {
                throw MessagesError.invalid("The media needs its mimeType, e.g. image/jpeg.", target: "media.mimeType")
            }
            guard let text = given.data, let bytes = Data(base64Encoded: text), !bytes.isEmpty, bytes.count <= Self.sandboxMediaLimit else {
                throw MessagesError.invalid("The media's data is its bytes in base64, at most 5 MB.", target: "media.data")
            }
            type =
                mimeType.hasPrefix("image/") ? "image" : mimeType.hasPrefix("video/") ? "video" : mimeType.hasPrefix("audio/") ? "audio" : "document"
            media = .init(mimeType: mimeType, fileName: given.fileName, caption: given.caption, content: bytes, graphMediaID: nil)
        } else {
            guard let text = body.text, !text.isEmpty, text.count <= SendBody.textLimit else {
                throw MessagesError.invalid("A handset's message has its text (at most 4096 characters) or media.", target: "text")
            }
        }
        var inbound = MessagesService.Inbound(channel: channel, from: from, messageType: type, text: media == nil ? body.text : nil)
        inbound.media = media
        let (id, mediaID) = try await messages.receive(inbound, sandbox: true, in: request.resource)
        return try JSONBody.response(Received(messageId: id, mediaId: mediaID), status: .accepted)
    }
}
