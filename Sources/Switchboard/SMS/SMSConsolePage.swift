import Foundation

/// The console's SMS page: what the sandbox carrier delivered, as conversations per handset, and the handset's side
/// of each — a reply, `STOP`, `HELP`, `START`, `YES` — sent as that handset (the same path as
/// `POST {endpoint}/sandbox/sms:receive`, so a reply is an inbound message like any other: keywords, opt-outs, events).
struct SMSConsolePage: ConsolePage {
    let sms: SMSService

    var slug: String { "sms" }
    var title: String { "SMS" }
    var group: ConsoleGroup { .sandbox }
    var order: Int { 10 }

    /// How many of the newest messages the page reads (the sandbox keeps a day of them).
    static let window = 500

    func render(_ request: ConsoleRequest) async throws -> ConsoleReply {
        let resource = request.resource
        let entries = try await sms.sandboxMessages(handset: nil, limit: Self.window, in: resource)
        let numbers = try await resource.store.read { db in try await NumbersStore.numbers(skip: 0, limit: 200, resource: resource, in: db) }
            .map(\.phoneNumber)
        var order: [String] = []
        var threads: [String: [SandboxInbox.Entry]] = [:]
        for entry in entries {
            if threads[entry.handset] == nil { order.append(entry.handset) }
            threads[entry.handset, default: []].append(entry)
        }
        let selected = request.query["handset"].flatMap { MessagingAddress.phoneNumber($0) } ?? order.first
        if entries.isEmpty && numbers.isEmpty {
            return .page(
                title: "SMS",
                body: ConsoleHTML.empty(
                    "No messages yet",
                    """
                    <p>Messages sent to any handset through the sandbox carrier appear here as conversations, live. First get a number
                    (sandbox numbers are free):</p>
                    \(ConsoleHTML.code("""
                    from azure.communication.phonenumbers import PhoneNumbersClient, PhoneNumberCapabilities, PhoneNumberCapabilityType as C
                    client = PhoneNumbersClient.from_connection_string(connection)
                    search = client.begin_search_available_phone_numbers("US", "tollFree", "application",
                        PhoneNumberCapabilities(calling=C.NONE, sms=C.INBOUND_OUTBOUND)).result()
                    client.begin_purchase_phone_numbers(search.search_id).result()
                    """))
                    <p>then send with <code>SmsClient.send(from_=NUMBER, to=HANDSET, message=…)</code>.</p>
                    """))
        }
        let list = HTML.join(
            order.map { handset in
                let last = threads[handset]?.first
                let current: HTML = handset == selected ? " aria-current=\"true\"" : .empty
                return """
                    <li><a href="\(request.link("sms"))?handset=\(Self.queryValue(handset))"\(current)><strong>\(handset)</strong>
                    <span class="meta">\(last.map { "\($0.direction == .outbound ? "→" : "←") \(Self.preview($0.body))" } ?? "")</span></a></li>
                    """
            })
        var conversation: HTML = .empty
        if let selected {
            let messages = (threads[selected] ?? []).reversed()
            let bubbles = HTML.join(
                messages.map { entry in
                    let meta =
                        entry.direction == .outbound
                        ? "from \(entry.sender) · \(ConsoleFormat.time(entry.at.date)) · \(entry.segments) segment\(entry.segments == 1 ? "" : "s")"
                        : "handset → \(entry.sender) · \(ConsoleFormat.time(entry.at.date))"
                    return "<li class=\"\(entry.direction.rawValue)\">\(entry.body)<span class=\"meta\">\(meta)</span></li>"
                })
            let lastSender = threads[selected]?.first(where: { $0.direction == .outbound })?.sender ?? threads[selected]?.first?.sender
            conversation = """
                <section aria-labelledby="thread-title">
                <h2 id="thread-title">Handset \(selected)</h2>
                \(messages.isEmpty ? HTML("<p>No messages with this handset yet.</p>") : HTML("<ol class=\"thread\" aria-live=\"polite\">\(bubbles)</ol>"))
                \(replyForm(request, handset: selected, numbers: numbers, preferred: lastSender))
                </section>
                """
        }
        let newHandset = ConsoleHTML.form(
            request, action: request.link("sms", "reply"), label: "Message from a new handset",
            content: """
                <div class="reply row">
                <label for="new-handset">Handset number</label><input id="new-handset" name="from" inputmode="tel" placeholder="+12065550123" required>
                \(numberSelect(numbers, preferred: nil, id: "new-to"))
                <label for="new-message">Message</label><input id="new-message" name="message" required maxlength="1600">
                <button type="submit">Send as handset</button>
                </div>
                """)
        let body: HTML = """
            <div class="columns">
            <section aria-labelledby="handsets-title"><h2 id="handsets-title">Handsets</h2>
            \(order.isEmpty ? HTML("<p>No conversations yet.</p>") : HTML("<ul class=\"conversations\">\(list)</ul>"))
            <details><summary>Write from a new handset</summary>\(newHandset)</details>
            </section>
            \(conversation)
            </div>
            """
        return .page(title: "SMS", body: body)
    }

    func replyForm(_ request: ConsoleRequest, handset: String, numbers: [String], preferred: String?) -> HTML {
        let quick = HTML.join(
            ["STOP", "HELP", "START", "YES"].map { word in
                ConsoleHTML.form(
                    request, action: request.link("sms", "reply"),
                    fields: ["from": handset, "to": preferred ?? numbers.first ?? "", "message": word],
                    content: "<button type=\"submit\" class=\"secondary\">Reply \(word)</button>")
            })
        return """
            <h3>Reply as the handset</h3>
            \(ConsoleHTML.form(request, action: request.link("sms", "reply"), fields: ["from": handset], label: "Reply as the handset", content: """
                <div class="reply">
                \(numberSelect(numbers, preferred: preferred, id: "reply-to"))
                <label for="reply-message">Message</label><textarea id="reply-message" name="message" rows="2" cols="40" required maxlength="1600"></textarea>
                <button type="submit">Send reply</button>
                </div>
                """))
            <div class="row" aria-label="Keyword replies">\(quick)</div>
            """
    }

    func numberSelect(_ numbers: [String], preferred: String?, id: String) -> HTML {
        let options = HTML.join(
            numbers.map { number in "<option value=\"\(number)\"\(number == preferred ? HTML(" selected") : .empty)>\(number)</option>" })
        let extra: HTML =
            if let preferred, !numbers.contains(preferred) { "<option value=\"\(preferred)\" selected>\(preferred)</option>" } else { .empty }
        return "<label for=\"\(id)\">To the resource's number</label><select id=\"\(id)\" name=\"to\">\(extra)\(options)</select>"
    }

    func perform(_ action: String, _ request: ConsoleRequest) async throws -> ConsoleReply {
        guard action == "reply" else { throw APIError.notFound(code: "NotFound", "The SMS page has no action '\(action)'.") }
        guard let from = request.field("from"), let to = request.field("to"), let message = request.field("message") else {
            throw SMSError.invalid("The handset, the resource's number and the message are all needed.", target: "message")
        }
        _ = try await sms.sandboxReceive(from: from, to: to, text: message, in: request.resource, serverURL: request.serverURL)
        let handset = MessagingAddress.phoneNumber(from) ?? from
        return .redirect(to: "\(request.link("sms"))?handset=\(Self.queryValue(handset))", notice: "Sent \"\(Self.preview(message))\" as \(handset).")
    }

    static func preview(_ text: String) -> String {
        text.count > 60 ? String(text.prefix(57)) + "…" : text
    }

    static func queryValue(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }
}
