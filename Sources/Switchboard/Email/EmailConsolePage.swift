import Foundation
import HTTPTypes
import Hummingbird
import Mail
import NIOCore

/// The console's email page, a mail catcher over the sandbox mailbox: every message the sandbox carrier captured,
/// opened as its recipient would see it — the HTML rendered in a sandboxed frame (no script, no network), the text,
/// the headers, the attachments, the DKIM result checked against the resource's keys — with its one-click
/// unsubscribe working (the POST a mailbox provider makes, RFC 8058).
struct EmailConsolePage: ConsolePage {
    let email: EmailService
    let unsubscribe: EmailUnsubscribeRoutes

    var slug: String { "email" }
    var title: String { "Email" }
    var group: ConsoleGroup { .sandbox }
    var order: Int { 20 }

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        switch request.path.count {
        case 0: return try await mailbox(request)
        case 1: return try await message(request.path[0], request)
        default:
            let id = request.path[0]
            switch request.path[1] {
            case "body": return try await body(id, request)
            case "raw": return try await raw(id, request)
            case "attachment" where request.path.count == 3: return try await attachment(id, index: request.path[2], request)
            case "cid" where request.path.count == 3: return try await inline(id, contentID: request.path[2], request)
            default: throw APIError.notFound(code: "NotFound", "Nothing is served at this path.")
            }
        }
    }

    func mailbox(_ request: ConsoleRequest) async throws -> ConsoleReply {
        let recipient = request.query["recipient"].flatMap { $0.isEmpty ? nil : $0 }
        let rows = try await email.sandboxMessages(recipient: recipient, before: nil, limit: 200, in: request.resource).map(\.view)
        let search = """
            <form method="get" action="\(request.link("email"))" class="row" role="search">
            <label for="recipient">Recipient</label><input id="recipient" name="recipient" type="email" value="\(recipient ?? "")">
            <button type="submit">Filter</button>\(recipient == nil ? HTML.empty : HTML("<a href=\"\(request.link("email"))\">Show all</a>"))
            </form>
            """
        guard !rows.isEmpty else {
            let domain = "\(request.resource.name).sandbox.switchboard.test"
            return .page(
                title: "Email",
                body: """
                    \(search)
                    \(ConsoleHTML.empty(recipient == nil ? "No emails yet" : "No emails to \(recipient ?? "")", """
                    <p>Every email sent through the sandbox carrier lands here exactly as it would have gone out, DKIM signature included.
                    The resource's sandbox domain needs no DNS:</p>
                    \(ConsoleHTML.code("""
                    poller = EmailClient.from_connection_string(connection).begin_send({
                        "senderAddress": "DoNotReply@\(domain)",
                        "recipients": {"to": [{"address": "someone@example.com"}]},
                        "content": {"subject": "Hello", "plainText": "Hi!", "html": "<p>Hi!</p>"}})
                    print(poller.result()["status"])
                    """))
                    <p>Recipients whose address starts with <code>bounce</code> bounce; <code>softbounce</code> defers once, then bounces.</p>
                    """))
                    """)
        }
        let table = ConsoleHTML.table(
            caption: "Captured emails, newest first", headers: ["Received", "To", "Subject", "Outcome", "DKIM"],
            rows: rows.map { view in
                [
                    "\(view.receivedAt)", "\(view.recipient)",
                    "<a href=\"\(request.link("email", view.id))\">\(view.subject ?? "(no subject)")</a>",
                    ConsoleHTML.badge(view.outcome, view.outcome == "Delivered" ? "ok" : "bad"), Self.dkimBadge(view.dkim.status),
                ]
            })
        return .page(title: "Email", body: "\(search)\(table)")
    }

    func message(_ id: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let view = try await email.sandboxMailboxMessage(id, in: request.resource)
        let headers = ConsoleHTML.table(
            caption: "Headers", headers: ["Name", "Value"], rows: view.headers.map { ["\($0.name)", "<code>\($0.value)</code>"] })
        let attachments =
            view.attachments.isEmpty
            ? HTML("<p>None.</p>")
            : ConsoleHTML.table(
                caption: "Attachments", headers: ["Name", "Type", "Size", "Inline id"],
                rows: view.attachments.enumerated().map { index, attachment in
                    [
                        "<a href=\"\(request.link("email", id, "attachment", String(index)))\">\(attachment.name)</a>", "\(attachment.contentType)",
                        "\(ConsoleFormat.bytes(attachment.size))", "\(attachment.contentId ?? "")",
                    ]
                })
        let unsubscribeURL = Self.oneClickURL(view.headers.first { $0.name.lowercased() == "list-unsubscribe" }?.value)
        let oneClick = view.headers.contains { $0.name.lowercased() == "list-unsubscribe-post" && $0.value.contains("One-Click") }
        let unsubscribe: HTML =
            if let unsubscribeURL, oneClick {
                """
                <p>The message offers one-click unsubscribe (RFC 8058) at <code>\(unsubscribeURL)</code>. Pressing the button makes the POST a
                mailbox provider makes for its user; the recipient's opt-out is recorded and the next send to them is refused.</p>
                \(ConsoleHTML.form(request, action: request.link("email", "unsubscribe"), fields: ["id": id], content: "<button type=\"submit\">Unsubscribe (one click)</button>"))
                """
            } else { "<p>The message carries no one-click unsubscribe link.</p>" }
        let dkimDetail = [view.dkim.domain.map { "d=\($0)" }, view.dkim.selector.map { "s=\($0)" }, view.dkim.reason].compactMap { $0 }
            .joined(separator: " · ")
        let html: HTML =
            view.html == nil
            ? HTML("<p>The message has no HTML part.</p>")
            : HTML(
                "<iframe class=\"email\" title=\"The message as HTML\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\" src=\"\(request.link("email", id, "body"))\"></iframe>"
            )
        let body: HTML = """
            <p><a href="\(request.link("email"))">← All emails</a> · <a href="\(request.link("email", id, "raw"))">Download .eml</a></p>
            <dl class="stats">
            \(ConsoleHTML.stat("From", view.from ?? view.envelopeFrom))
            \(ConsoleHTML.stat("To", view.recipient, note: view.to.count + view.cc.count > 1 ? "one copy of \(view.to.count + view.cc.count)" : nil))
            \(ConsoleHTML.stat("Received", ConsoleFormat.time(view.receivedAt)))
            \(ConsoleHTML.stat("Outcome", view.outcome))
            \(ConsoleHTML.stat("DKIM", view.dkim.status, note: dkimDetail.isEmpty ? nil : dkimDetail))
            \(ConsoleHTML.stat("Size", ConsoleFormat.bytes(view.size)))
            </dl>
            <h2>HTML</h2>
            \(html)
            <h2>Text</h2>
            \(view.text.map { HTML("<pre class=\"code\">\($0)</pre>") } ?? HTML("<p>The message has no text part.</p>"))
            <h2>Unsubscribe</h2>
            \(unsubscribe)
            <h2>Attachments</h2>
            \(attachments)
            <details><summary>Headers (\(view.headers.count))</summary>\(headers)</details>
            """
        return .page(title: view.subject ?? "(no subject)", body: body)
    }

    /// The HTML part as a document of its own, for the frame: no script may run (the frame's `sandbox`, and the
    /// document's own policy), nothing may be fetched but its inline images, and links open outside the console.
    func body(_ id: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let view = try await email.sandboxMailboxMessage(id, in: request.resource)
        let cidBase = request.link("email", id, "cid") + "/"
        let html = (view.html ?? "").replacingOccurrences(of: "\"cid:", with: "\"\(cidBase)").replacingOccurrences(
            of: "'cid:", with: "'\(cidBase)")
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; font-src data:; frame-ancestors 'self'; "
            + "sandbox allow-popups allow-popups-to-escape-sandbox"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[.cacheControl] = "no-store"
        return .document(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "<base target=\"_blank\">" + html))))
    }

    func raw(_ id: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let bytes = try await email.sandboxMailboxRaw(id, in: request.resource)
        return .document(Self.download(bytes, type: "message/rfc822", name: "\(id).eml"))
    }

    func attachment(_ id: String, index: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let parts = MailParser.parse(try await email.sandboxMailboxRaw(id, in: request.resource)).attachments
        guard let index = Int(index), parts.indices.contains(index) else {
            throw APIError.notFound(code: "AttachmentNotFound", "The message has no attachment \(index).")
        }
        let part = parts[index]
        return .document(Self.download(part.decodedBody, type: part.contentType.mimeType, name: part.filename ?? "attachment"))
    }

    func inline(_ id: String, contentID: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        let parts = MailParser.parse(try await email.sandboxMailboxRaw(id, in: request.resource)).attachments
        guard let part = parts.first(where: { $0.contentID == contentID }), part.contentType.mimeType.hasPrefix("image/") else {
            throw APIError.notFound(code: "AttachmentNotFound", "The message has no inline image '\(contentID)'.")
        }
        var headers = HTTPFields()
        headers[.contentType] = part.contentType.mimeType
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
        return .document(Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: part.decodedBody))))
    }

    func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        guard action == "unsubscribe", let id = request.field("id") else {
            throw APIError.notFound(code: "NotFound", "The email page has no action '\(action)'.")
        }
        let view = try await email.sandboxMailboxMessage(id, in: request.resource)
        guard let url = Self.oneClickURL(view.headers.first { $0.name.lowercased() == "list-unsubscribe" }?.value),
            let token = url.split(separator: "/").last.map(String.init),
            try await unsubscribe.unsubscribe(token: token, of: request.resource) != nil
        else {
            throw APIError.badRequest(code: "NoUnsubscribeLink", "The message carries no unsubscribe link of this resource.")
        }
        return .redirect(to: request.link("email", id), notice: "Unsubscribed \(view.recipient): the next send to this address is refused.")
    }

    /// The `https` URL of a `List-Unsubscribe` header (`<https://…>, <mailto:…>`).
    static func oneClickURL(_ header: String?) -> String? {
        guard let header else { return nil }
        for candidate in header.split(separator: ",") {
            let trimmed = candidate.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("<"), trimmed.hasSuffix(">") else { continue }
            let url = String(trimmed.dropFirst().dropLast())
            if url.lowercased().hasPrefix("https://") || url.lowercased().hasPrefix("http://") { return url }
        }
        return nil
    }

    static func dkimBadge(_ status: String) -> HTML {
        ConsoleHTML.badge(status, status == "pass" ? "ok" : status == "none" || status == "neutral" ? "warn" : "bad")
    }

    /// A file to save, never rendered in the console's origin.
    static func download(_ bytes: [UInt8], type: String, name: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        let safe = name.filter { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
        headers[.contentDisposition] = "attachment; filename=\"\(safe.isEmpty ? "download" : safe)\""
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Content-Security-Policy")!] = "default-src 'none'; sandbox"
        headers[.cacheControl] = "no-store"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
