import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The console's WhatsApp page: what sandbox channels sent, as conversations per channel and handset, with media
/// and templates shown as the handset would get them, and the handset's reply sent through the same path as
/// `POST {endpoint}/sandbox/whatsapp:receive` (it opens the 24-hour window; `STOP` opts out).
struct MessagesConsolePage: ConsolePage {
    let messages: MessagesService

    var slug: String { "whatsapp" }
    var title: String { "WhatsApp" }
    var group: ConsoleGroup { .sandbox }
    var order: Int { 30 }

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        if request.path.count == 2, request.path[0] == "media" { return try await media(request.path[1], request) }
        guard request.path.isEmpty else { throw APIError.notFound(code: "NotFound", "Nothing is served at this path.") }
        guard request.resource.geography.supportsAdvancedMessaging else {
            return .page(
                title: "WhatsApp",
                body: ConsoleHTML.empty(
                    "Not available in \(request.resource.geography.displayName)",
                    "<p>Advanced Messaging for WhatsApp is only available to resources in Asia Pacific, Australia, Europe, United Kingdom and United States.</p>"
                ))
        }
        let rows = try await messages.sandboxMessages(handset: nil, before: nil, limit: 500, in: request.resource).map(\.0)
        guard !rows.isEmpty else {
            return .page(
                title: "WhatsApp",
                body: ConsoleHTML.empty(
                    "No messages yet",
                    """
                    <p>Register a sandbox channel, then send with <code>NotificationMessagesClient</code>; what it would have sent appears here.</p>
                    \(ConsoleHTML.code("""
                    PUT {endpoint}/messages/channels/{channelId}?api-version=2026-12-01   {"kind": "sandbox"}
                    client = NotificationMessagesClient.from_connection_string(connection)
                    client.send(TextNotificationContent(channel_registration_id=CHANNEL_ID, to=["+12065550123"], content="Hello"))
                    """))
                    <p>Free-form messages need the handset to have written in the last 24 hours: reply from a handset here first, or send a template.</p>
                    """))
        }
        var order: [String] = []
        var threads: [String: [MessagesStore.SandboxEntry]] = [:]
        for row in rows {
            let key = "\(row.channelId) \(row.handset)"
            if threads[key] == nil { order.append(key) }
            threads[key, default: []].append(row)
        }
        let selected = request.query["conversation"].flatMap { threads[$0] == nil ? nil : $0 } ?? order.first
        let list = HTML.join(
            order.map { key in
                let first = threads[key]?.first
                let current: HTML = key == selected ? " aria-current=\"true\"" : .empty
                return """
                    <li><a href="\(request.link("whatsapp"))?conversation=\(SMSConsolePage.queryValue(key))"\(current)><strong>\(first?.handset ?? "")</strong>
                    <span class="meta">channel \(first?.channelId ?? "")</span></a></li>
                    """
            })
        var conversation: HTML = .empty
        if let selected, let entries = threads[selected], let latest = entries.first {
            let bubbles = HTML.join(entries.reversed().map { bubble($0, request) })
            conversation = """
                <section aria-labelledby="conversation-title">
                <h2 id="conversation-title">Handset \(latest.handset)</h2>
                <ol class="thread" aria-live="polite">\(bubbles)</ol>
                <h3>Reply as the handset</h3>
                \(ConsoleHTML.form(request, action: request.link("whatsapp", "reply"), fields: ["channel": latest.channelId, "from": latest.handset], label: "Reply as the handset", content: """
                    <div class="reply"><label for="wa-reply">Message</label>
                    <textarea id="wa-reply" name="text" rows="2" cols="40" required maxlength="4096"></textarea>
                    <button type="submit">Send reply</button></div>
                    """))
                </section>
                """
        }
        return .page(
            title: "WhatsApp",
            body: """
                <div class="columns">
                <section aria-labelledby="wa-handsets"><h2 id="wa-handsets">Conversations</h2><ul class="conversations">\(list)</ul></section>
                \(conversation)
                </div>
                """)
    }

    func bubble(_ entry: MessagesStore.SandboxEntry, _ request: ConsoleRequest) -> HTML {
        let outbound = entry.direction == "outbound"
        var content: HTML
        if let message = entry.content {
            switch message.kind {
            case .text:
                content = "\(message.text ?? "")"
            case .image, .imageV0, .video, .audio, .document:
                let uri = message.mediaUri ?? ""
                content = """
                    <strong>\(message.kind.rawValue)</strong> \(message.fileName.map { HTML("<em>\($0)</em>") })
                    <a href="\(uri)" rel="noreferrer noopener" target="_blank">\(uri)</a>\(message.caption.map { HTML("<br>\($0)") })
                    """
            case .template:
                let template = message.template
                let values = (template?.values ?? []).map { "\($0)" }.joined(separator: ", ")
                content =
                    "<strong>Template</strong> \(template?.name ?? "") (\(template?.language ?? ""))\(values.isEmpty ? HTML.empty : HTML("<br>\(values)"))"
            }
        } else if let mediaID = entry.mediaId {
            let link = request.link("whatsapp", "media", mediaID)
            content = """
                <a href="\(link)">Download the media the handset sent</a>\(entry.text.map { HTML("<br>\($0)") })
                """
        } else {
            content = "\(entry.text ?? "")"
        }
        let time = APIDate.parse(entry.createdDateTime).map(ConsoleFormat.time) ?? entry.createdDateTime
        let meta = outbound ? "to the handset from channel \(entry.channelId) · \(time)" : "handset · \(time)"
        return "<li class=\"\(outbound ? "outbound" : "inbound")\">\(content)<span class=\"meta\">\(meta)</span></li>"
    }

    func media(_ id: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let (bytes, type) = try await messages.media(id, in: request.resource)
        return .document(EmailConsolePage.download(Array(bytes), type: type, name: id))
    }

    func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        guard action == "reply" else { throw APIError.notFound(code: "NotFound", "The WhatsApp page has no action '\(action)'.") }
        try MessagesService.checkGeography(request.resource)
        guard let channelID = request.field("channel"), let from = request.field("from").flatMap(MessagingAddress.phoneNumber),
            let text = request.field("text"), text.count <= 4096
        else {
            throw MessagesError.invalid("The channel, the handset and a message of at most 4096 characters are needed.", target: "text")
        }
        let channel = try await messages.channel(channelID, in: request.resource)
        guard channel.kind == .sandbox else {
            throw MessagesError.invalid("Only a sandbox channel's handsets are driven from the console.", target: "channel")
        }
        _ = try await messages.receive(.init(channel: channel, from: from, messageType: "text", text: text), sandbox: true, in: request.resource)
        return .redirect(
            to: "\(request.link("whatsapp"))?conversation=\(SMSConsolePage.queryValue("\(channel.id) \(from)"))", notice: "Sent as \(from).")
    }
}
