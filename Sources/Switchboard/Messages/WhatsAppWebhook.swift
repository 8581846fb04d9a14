import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Meta's webhook for a Cloud API channel, under `/-/whatsapp/{channel}/webhook` (public: Meta calls it). `{channel}`
/// is the resource's id and the channel's id (`<resource>.<channel>`, shown as the channel's `webhookPath`).
///
/// `GET` answers the verification handshake (`hub.mode=subscribe`, `hub.verify_token` equal to the channel's, echo
/// `hub.challenge`). `POST` takes notifications — messages (text, media and stickers, button and interactive replies,
/// reactions, locations, contacts) and statuses — only with a valid `X-Hub-Signature-256`
/// (HMAC-SHA256 of the raw body with the channel's app secret); anything else is refused with 401 and nothing is
/// recorded.
enum WhatsAppWebhook {
    static func channelKey(resource: ResourceHandle, channel: String) -> String { "\(resource.storageID).\(channel)" }

    /// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` with `secret`, compared in constant time.
    static func isValidSignature(_ header: String?, body: Data, secret: String) -> Bool {
        guard let header, header.hasPrefix("sha256="), let mac = hexBytes(String(header.dropFirst("sha256=".count))), mac.count == 32 else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    static func signature(body: Data, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    static func hexBytes(_ text: String) -> Data? {
        guard text.count % 2 == 0, text.allSatisfy(\.isHexDigit) else { return nil }
        var data = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            data.append(byte)
            index = next
        }
        return data
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    // MARK: Meta's notification payload

    struct Notification: Decodable {
        struct Entry: Decodable {
            let changes: [Change]?
        }

        struct Change: Decodable {
            let field: String?
            let value: Value?
        }

        struct Value: Decodable {
            struct Metadata: Decodable {
                let phone_number_id: String?
            }

            let metadata: Metadata?
            let messages: [Message]?
            let statuses: [Status]?
        }

        struct Media: Decodable {
            let id: String?
            let mime_type: String?
            let caption: String?
            let filename: String?
            /// Stickers only.
            let animated: Bool?
        }

        struct Message: Decodable {
            struct Text: Decodable { let body: String? }
            struct Button: Decodable {
                let text: String?
                let payload: String?
            }
            struct Context: Decodable {
                let from: String?
                let id: String?
            }
            struct Reaction: Decodable {
                let message_id: String?
                let emoji: String?
            }
            struct Interactive: Decodable {
                struct Reply: Decodable {
                    let id: String?
                    let title: String?
                    let description: String?
                }

                let type: String?
                let button_reply: Reply?
                let list_reply: Reply?
            }

            let from: String?
            let id: String?
            let type: String?
            let text: Text?
            let image: Media?
            let document: Media?
            let video: Media?
            let audio: Media?
            let sticker: Media?
            let button: Button?
            let context: Context?
            let reaction: Reaction?
            let interactive: Interactive?
            /// Meta's location (`latitude`, `longitude`, `name`?, `address`?, `url`?) and shared contacts (name, phones,
            /// emails, …): ACS's event has no fields for them, so they travel as JSON in its `content`.
            let location: JSONValue?
            let contacts: JSONValue?

            var media: Media? { image ?? document ?? video ?? audio ?? sticker }
        }

        struct Status: Decodable {
            struct Error: Decodable {
                let code: Int?
                let title: String?
                let message: String?
            }

            let id: String?
            let status: String?
            let recipient_id: String?
            let errors: [Error]?
        }

        let object: String?
        let entry: [Entry]?
    }

    // MARK: Meta's message as ACS's event

    /// `text` if it is printable-ish and at most `limit` characters (Meta's values are echoed into events).
    static func clean(_ text: String?, limit: Int = 256) -> String? {
        guard let text, text.count <= limit, SendBody.printable(text) else { return nil }
        return text
    }

    /// The event's `content`: the text, a button's text, or (having no field of their own in ACS's event) a location or
    /// the shared contacts as Meta's JSON.
    static func content(of message: Notification.Message) -> String? {
        if let body = message.text?.body { return body }
        if let text = message.button?.text { return text }
        if let location = message.location { return json(location) }
        if let contacts = message.contacts { return json(contacts) }
        return nil
    }

    static func json(_ value: JSONValue) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// A reaction: the WhatsApp id of the message reacted to and the emoji (Meta sends none when it was removed).
    static func reaction(of message: Notification.Message) -> AdvancedMessageEventData.Reaction? {
        guard let reaction = message.reaction, let id = clean(reaction.message_id) else { return nil }
        return .init(messageId: id, emoji: clean(reaction.emoji, limit: 32).flatMap { $0.isEmpty ? nil : $0 })
    }

    /// A reply to an interactive message, in ACS's names: `button_reply` → `buttonReply`, `list_reply` → `listReply`,
    /// any other reply (a flow's, say) → `unknown`.
    static func interactive(of message: Notification.Message) -> AdvancedMessageEventData.Interactive? {
        guard let interactive = message.interactive else { return nil }
        switch interactive.type {
        case "button_reply":
            var content = AdvancedMessageEventData.Interactive(type: "buttonReply")
            content.buttonReply = interactive.button_reply.map { .init(id: clean($0.id), title: clean($0.title)) }
            return content
        case "list_reply":
            var content = AdvancedMessageEventData.Interactive(type: "listReply")
            content.listReply = interactive.list_reply.map {
                .init(id: clean($0.id), title: clean($0.title), description: clean($0.description, limit: 1024))
            }
            return content
        default:
            return AdvancedMessageEventData.Interactive(type: "unknown")
        }
    }
}

/// The webhook's endpoints.
struct WhatsAppWebhookRoutes: Sendable {
    let service: MessagesService
    let resources: ResourceRegistry

    var routes: [SystemRoute] {
        [
            SystemRoute(.get, "/whatsapp/{channel}/webhook", auth: NoCredentials(), handler: verify),
            SystemRoute(.post, "/whatsapp/{channel}/webhook", auth: NoCredentials(), maxBodySize: 1 << 20, handler: notify),
        ]
    }

    /// The resource and Cloud API channel a webhook path names, or `nil`.
    func channel(_ key: String) async throws -> (ResourceHandle, WhatsAppChannel)? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let resourceID = UUID(uuidString: String(parts[0])), let channelID = UUID(uuidString: String(parts[1])),
            let resource = try await resources.handle(id: resourceID)
        else { return nil }
        let channel = try await resource.store.read { db in
            try await MessagesStore.channel(channelID.uuidString.lowercased(), resource: resource, in: db)
        }
        guard let channel, channel.kind == .cloudAPI else { return nil }
        return (resource, channel)
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    @Sendable func verify(_ request: SystemRequest) async throws -> Response {
        guard let (_, channel) = try await channel(request.parameter("channel")) else { return Self.text(.notFound, "Unknown channel.") }
        guard request.query["hub.mode"] == "subscribe", let token = request.query["hub.verify_token"], let expected = channel.verifyToken,
            WhatsAppWebhook.constantTimeEqual(token, expected), let challenge = request.query["hub.challenge"], challenge.count <= 256
        else { return Self.text(.forbidden, "Verification failed.") }
        return Self.text(.ok, challenge)
    }

    @Sendable func notify(_ request: SystemRequest) async throws -> Response {
        guard let (resource, channel) = try await channel(request.parameter("channel")) else { return Self.text(.notFound, "Unknown channel.") }
        let body = Data(request.body.readableBytesView)
        guard let secret = channel.appSecret,
            WhatsAppWebhook.isValidSignature(request.headers[HTTPField.Name("X-Hub-Signature-256")!], body: body, secret: secret)
        else { return Self.text(.unauthorized, "The X-Hub-Signature-256 signature is missing or not valid.") }
        guard let notification = try? JSONBody.decoder.decode(WhatsAppWebhook.Notification.self, from: body) else {
            return Self.text(.badRequest, "The body is not a WhatsApp notification.")
        }
        for entry in notification.entry ?? [] {
            for change in entry.changes ?? [] {
                guard let value = change.value, value.metadata?.phone_number_id.map({ $0 == channel.phoneNumberID }) ?? true else { continue }
                for message in value.messages ?? [] {
                    guard let from = message.from.flatMap({ MessagingAddress.phoneNumber("+" + $0.filter(\.isASCIIDigit)) }) else { continue }
                    let type = message.type.flatMap { $0.count <= 32 && SendBody.printable($0) ? $0 : nil } ?? "unknown"
                    var inbound = MessagesService.Inbound(channel: channel, from: from, messageType: type, text: WhatsAppWebhook.content(of: message))
                    inbound.carrierMessageID = message.id.flatMap { $0.count <= 256 && SendBody.printable($0) ? $0 : nil }
                    if let media = message.media, let id = media.id, id.count <= 128, SendBody.printable(id) {
                        inbound.media = .init(
                            mimeType: media.mime_type.flatMap { $0.count <= 128 && SendBody.printable($0) ? $0 : nil } ?? "application/octet-stream",
                            fileName: media.filename, caption: media.caption,
                            content: nil, graphMediaID: id, animated: message.sticker != nil ? media.animated ?? false : nil)
                    }
                    inbound.context = message.context.map { .init(from: $0.from, id: $0.id) }
                    inbound.button = message.button.map { .init(text: $0.text, payload: $0.payload) }
                    inbound.reaction = WhatsAppWebhook.reaction(of: message)
                    inbound.interactive = WhatsAppWebhook.interactive(of: message)
                    _ = try await service.receive(inbound, sandbox: false, in: resource)
                }
                for status in value.statuses ?? [] {
                    guard let id = status.id, id.count <= 256, SendBody.printable(id), let state = status.status else { continue }
                    let error = status.errors?.first.map {
                        AdvancedMessageEventData.ChannelError(channelCode: $0.code.map(String.init), channelMessage: $0.message ?? $0.title)
                    }
                    try await service.carrierStatus(wamid: id, status: state, error: error, channel: channel, in: resource)
                }
            }
        }
        return Self.text(.ok, "OK")
    }
}
