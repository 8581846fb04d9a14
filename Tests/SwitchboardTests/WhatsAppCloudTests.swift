import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import Switchboard

/// A WhatsApp Cloud API channel against a local Graph API peer, on both engines: its templates synced from Meta into
/// `list_templates` (paged by Meta's cursors, then by ACS's), template sends checked against them, Meta's failures as
/// ACS-shaped errors; and every kind of message Meta's webhook brings as an `AdvancedMessageReceived` event.
@Suite struct WhatsAppCloudTests {
    static let channel = WhatsAppTests.channel
    static let handset = WhatsAppTests.handset
    static let phoneNumberID = "106540352242922"
    static let appSecret = "app-secret"

    /// A fixture whose Graph API is `peer` (answering within `timeout`), with a Cloud API channel registered
    /// (with `account` as its business account, when given).
    func withCloud(
        engine: TestEngine, account: String? = GraphTemplatePeer.account, token: String = GraphTemplatePeer.token,
        _ body: @escaping @Sendable (WhatsAppTests.Fixture, GraphTemplatePeer) async throws -> Void
    ) async throws {
        let peer = GraphTemplatePeer()
        try await peer.run { graphURL in
            let clock = ManualClock(start: Timestamp(milliseconds: Timestamp(Date()).milliseconds / 1000 * 1000 + 250))
            try await TestServer.with(engine: engine, clock: clock) { plain in
                var runtime = plain.runtime
                runtime.configuration.whatsapp.graphURL = graphURL
                runtime.configuration.whatsapp.graphTimeout = .seconds(2)
                let server = TestServer(runtime: runtime, dataDirectory: plain.dataDirectory)
                let dev = try await server.createResource("dev", in: .unitedStates)
                let other = try await server.createResource("other", in: .europe)
                let devHandle = try #require(try await server.runtime.resources.handle(named: "dev"))
                let assembly = try server.assembly()
                try await server.test { client in
                    let f = WhatsAppTests.Fixture(
                        server: server, assembly: assembly, clock: clock, dev: .init(client: client, resource: dev, clock: clock),
                        other: .init(client: client, resource: other, clock: clock), devHandle: devHandle, client: client)
                    let account = account.map { #","businessAccountId":"\#($0)""# } ?? ""
                    let put = try await f.dev.own(
                        .put, "/messages/channels/\(Self.channel)",
                        json:
                            #"{"kind":"cloudApi","phoneNumberId":"\#(Self.phoneNumberID)","accessToken":"\#(token)","appSecret":"\#(Self.appSecret)","verifyToken":"v"\#(account)}"#
                    )
                    #expect(put.status == .created, "\(put.text)")
                    try await body(f, peer)
                }
            }
        }
    }

    /// Every page of `list_templates`, following `nextLink` as the SDK does: name/language/status of each item.
    func listAll(_ f: WhatsAppTests.Fixture, pageSize: Int) async throws -> (items: [[String: Any]], pages: Int) {
        var response = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates?maxpagesize=\(pageSize)")
        var items: [[String: Any]] = []
        var pages = 0
        while true {
            #expect(response.status == .ok, "\(response.text)")
            pages += 1
            items += response.json["value"] as? [[String: Any]] ?? []
            guard let next = response.json["nextLink"] as? String, let url = URL(string: next) else { break }
            let target = url.path(percentEncoded: true) + "?" + (url.query(percentEncoded: true) ?? "")
            let headers = f.dev.resource.headers(method: .get, target: target, body: [], date: f.clock.now.date)
            response = try await f.client.execute(uri: target, method: .get, headers: headers, body: nil)
        }
        return (items, pages)
    }

    static let catalogue: [GraphTemplatePeer.Template] = [
        .init(name: "order_update", language: "en_US", status: "APPROVED"),
        .init(name: "order_update", language: "de", status: "APPROVED"),
        .init(name: "promo", language: "en_US", status: "PENDING"),
        .init(name: "spring_sale", language: "en_US", status: "PAUSED"),
        .init(name: "winback", language: "en_US", status: "REJECTED"),
    ]

    // MARK: Template sync

    @Test(arguments: TestEngine.available)
    func listTemplatesShowsMetasTemplatesThroughBothPagings(engine: TestEngine) async throws {
        try await withCloud(engine: engine) { f, peer in
            peer.templates = Self.catalogue
            let (items, pages) = try await listAll(f, pageSize: 2)
            #expect(pages == 3)
            let listed = items.map { "\($0["name"] as? String ?? "")/\($0["language"] as? String ?? "")/\($0["status"] as? String ?? "")" }
            #expect(
                listed == [
                    "order_update/de/approved", "order_update/en_US/approved", "promo/en_US/pending", "spring_sale/en_US/paused",
                    "winback/en_US/rejected",
                ])
            #expect(items.allSatisfy { $0["kind"] as? String == "whatsApp" })
            // The content is Meta's template, components included.
            let first = try #require(items.first?["content"] as? [String: Any])
            #expect(
                first["name"] as? String == "order_update" && first["status"] as? String == "APPROVED" && first["category"] as? String == "UTILITY")
            let components = try #require(first["components"] as? [[String: Any]])
            #expect(components.first?["type"] as? String == "BODY" && components.first?["text"] as? String == "Your order {{1}} has shipped.")

            // One walk of Meta's pages (2 + 2 + 1) for the first ACS page, by Meta's cursors, with the token; the other
            // ACS pages read the snapshot.
            let calls = peer.calls
            #expect(calls.count == 3)
            #expect(calls.allSatisfy { $0.account == GraphTemplatePeer.account && $0.authorization == "Bearer \(GraphTemplatePeer.token)" })
            #expect(calls.map { $0.query["after"] == nil } == [true, false, false])
            #expect(calls.allSatisfy { $0.query["fields"] == "name,language,status,category,components" && $0.query["access_token"] == nil })

            // Meta's changes show on the next listing.
            peer.templates.removeLast()
            peer.templates[2].status = "APPROVED"
            let again = try await listAll(f, pageSize: 100).items
            #expect(again.map { $0["status"] as? String ?? "" } == ["approved", "approved", "approved", "paused"])
            #expect(peer.calls.count == 5, "two more Graph pages for the four templates left")
        }
    }

    @Test(arguments: TestEngine.available)
    func templateSendsAreCheckedAgainstMetasTemplatesSyncedAtMostAMinuteAgo(engine: TestEngine) async throws {
        try await withCloud(engine: engine) { f, peer in
            try await f.consent(Self.handset)
            peer.templates = Self.catalogue
            func send(_ name: String, _ language: String = "en_US") async throws -> TestResponse {
                try await f.dev.notify(#""kind":"template","template":{"name":"\#(name)","language":"\#(language)"}"#)
            }
            // The first template send syncs (there is no snapshot yet).
            #expect(try await send("order_update").status == .accepted)
            #expect(peer.calls.count == 3)
            let pending = try await send("promo")
            #expect(pending.status == .badRequest && pending.errorCode == "TemplateNotApproved", "\(pending.text)")
            #expect(try await send("winback").errorCode == "TemplateNotApproved")
            #expect(try await send("order_update", "fr").errorCode == "TemplateNotFound")
            #expect(peer.calls.count == 3, "a fresh snapshot is not synced again")
            #expect(try await f.count("whatsapp_messages") == 1)

            // Meta approves the template: once the snapshot is a minute old, the next send syncs and goes.
            peer.templates[2].status = "APPROVED"
            #expect(try await send("promo").errorCode == "TemplateNotApproved")
            f.clock.advance(by: .seconds(61))
            #expect(try await send("promo").status == .accepted)
            #expect(peer.calls.count == 6)

            // Meta failing is no refusal: the last snapshot decides.
            f.clock.advance(by: .seconds(61))
            peer.behaviour = .status(500)
            #expect(try await send("order_update").status == .accepted)
            #expect(try await send("nope").errorCode == "TemplateNotFound")
            // Templates of a Cloud API channel are not registered here.
            let put = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/mine?language=en", json: "{}")
            #expect(put.status == .badRequest && put.errorCode == "TemplatesManagedByMeta")
        }
    }

    @Test func aChannelWithoutItsBusinessAccountSendsTemplatesUncheckedButCannotListThem() async throws {
        try await withCloud(engine: .sqlite, account: nil) { f, peer in
            try await f.consent(Self.handset)
            let list = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(list.status == .badRequest && list.errorCode == "BusinessAccountIdMissing", "\(list.text)")
            #expect((list.json["error"] as? [String: Any])?["target"] as? String == "businessAccountId")
            // Meta decides about the template when it is sent.
            #expect(try await f.dev.notify(#""kind":"template","template":{"name":"anything","language":"en"}"#).status == .accepted)
            #expect(peer.calls.isEmpty)

            // Registering the business account (the secrets kept) makes the templates listable.
            peer.templates = Self.catalogue
            let put = try await f.dev.own(
                .put, "/messages/channels/\(Self.channel)",
                json: #"{"kind":"cloudApi","phoneNumberId":"\#(Self.phoneNumberID)","businessAccountId":"\#(GraphTemplatePeer.account)"}"#)
            #expect(put.status == .ok && put.json["businessAccountId"] as? String == GraphTemplatePeer.account, "\(put.text)")
            #expect(try await listAll(f, pageSize: 10).items.count == 5)
            let channel = try await f.dev.own(.get, "/messages/channels/\(Self.channel)")
            #expect(channel.json["templatesSyncedDateTime"] is String)
            // Another business account forgets the snapshot of the first one.
            _ = try await f.dev.own(
                .put, "/messages/channels/\(Self.channel)",
                json: #"{"kind":"cloudApi","phoneNumberId":"\#(Self.phoneNumberID)","businessAccountId":"999"}"#)
            #expect(try await f.count("whatsapp_templates") == 0)
            let unknown = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(unknown.status.code == 424 && unknown.errorCode == "WhatsAppRequestRejected", "\(unknown.text)")
            #expect(unknown.text.contains("does not exist"))
        }
    }

    @Test func metasFailuresAreACSShapedErrorsThatNeverShowTheToken() async throws {
        try await withCloud(engine: .sqlite, token: "EAAG-revoked") { f, peer in
            peer.templates = Self.catalogue
            let rejected = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(rejected.status.code == 424 && rejected.errorCode == "WhatsAppAccessTokenRejected", "\(rejected.text)")
            #expect(rejected.headers[HTTPField.Name("x-ms-error-code")!] == "WhatsAppAccessTokenRejected")
            #expect(!rejected.text.contains("EAAG-revoked"))

            _ = try await f.dev.own(
                .put, "/messages/channels/\(Self.channel)",
                json:
                    #"{"kind":"cloudApi","phoneNumberId":"\#(Self.phoneNumberID)","businessAccountId":"\#(GraphTemplatePeer.account)","accessToken":"\#(GraphTemplatePeer.token)"}"#
            )
            peer.behaviour = .status(503)
            let down = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(down.status == .badGateway && down.errorCode == "WhatsAppUnavailable", "\(down.text)")
            peer.behaviour = .slow(.seconds(4))
            let slow = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(slow.status == .gatewayTimeout && slow.errorCode == "WhatsAppTimeout", "\(slow.text)")
            peer.behaviour = .normal
            #expect(try await listAll(f, pageSize: 100).items.count == 5)
            for response in [rejected, down, slow] {
                #expect(!response.text.contains(GraphTemplatePeer.token) && (response.json["error"] as? [String: Any])?["message"] is String)
            }
        }
    }

    // MARK: Inbound kinds

    /// Posts one message object as Meta's signed webhook call.
    func deliver(_ message: String, to f: WhatsAppTests.Fixture) async throws -> TestResponse {
        let body = #"""
            {"object":"whatsapp_business_account","entry":[{"id":"\#(GraphTemplatePeer.account)","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"\#(Self.phoneNumberID)"},"contacts":[{"profile":{"name":"Kerry"},"wa_id":"14255550101"}],"messages":[\#(message)]}}]}]}
            """#
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[HTTPField.Name("X-Hub-Signature-256")!] = WhatsAppWebhook.signature(body: Data(body.utf8), secret: Self.appSecret)
        let path = "/-/whatsapp/\(f.devHandle.storageID).\(Self.channel)/webhook"
        return try await f.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    static func message(_ type: String, _ content: String, context: Bool = false) -> String {
        let reply = context ? #""context":{"from":"15550783881","id":"wamid.SENT1"},"# : ""
        return #"{\#(reply)"from":"14255550101","id":"wamid.\#(UUID().uuidString)","timestamp":"1700000000","type":"\#(type)",\#(content)}"#
    }

    @Test(arguments: TestEngine.available)
    func everyKindOfInboundMessageBecomesAnEventWithTheSchemasFields(engine: TestEngine) async throws {
        try await withCloud(engine: engine) { f, _ in
            // A reaction is the handset's first message: it opens the 24-hour window as any message does.
            #expect(try await f.dev.notify(#""kind":"text","content":"Hello""#).errorCode == "OutsideConversationWindow")
            let messages = [
                Self.message("reaction", #""reaction":{"message_id":"wamid.SENT1","emoji":"\u2764\uFE0F"}"#),
                Self.message(
                    "interactive", #""interactive":{"type":"button_reply","button_reply":{"id":"cancel-button","title":"Cancel"}}"#, context: true),
                Self.message(
                    "interactive",
                    #""interactive":{"type":"list_reply","list_reply":{"id":"priority_express","title":"Priority Mail Express","description":"Next Day to 2 Days"}}"#,
                    context: true),
                Self.message("interactive", #""interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","response_json":"{}"}}"#),
                Self.message("button", #""button":{"text":"Track my order","payload":"track-42"}"#, context: true),
                Self.message(
                    "location",
                    #""location":{"latitude":47.6062,"longitude":-122.3321,"name":"Lucky Shrub","address":"1 Pike St, Seattle, WA"}"#),
                Self.message(
                    "contacts",
                    #""contacts":[{"name":{"formatted_name":"Barbara Johnson","first_name":"Barbara"},"phones":[{"phone":"+1 (940) 555-1234","type":"HOME","wa_id":"19405551234"}]}]"#
                ),
                Self.message("sticker", #""sticker":{"mime_type":"image/webp","sha256":"x","id":"1013859600285441","animated":true}"#),
                Self.message("reaction", #""reaction":{"message_id":"wamid.SENT1"}"#),
            ]
            for message in messages {
                let response = try await deliver(message, to: f)
                #expect(response.status == .ok, "\(response.text)")
            }
            #expect(try await f.dev.notify(#""kind":"text","content":"Thanks!""#).status == .accepted)

            let events = try await f.events(.received)
            #expect(
                events.map { $0.messageType ?? "" } == [
                    "reaction", "interactive", "interactive", "interactive", "button", "location", "contacts", "sticker", "reaction",
                ])
            #expect(events.allSatisfy { $0.from == Self.handset && $0.to == Self.channel })
            let (reaction, buttonReply, listReply, flow, button, location, contacts, sticker, removed) = (
                events[0], events[1], events[2], events[3], events[4], events[5], events[6], events[7], events[8]
            )
            #expect(reaction.reaction?.messageId == "wamid.SENT1" && reaction.reaction?.emoji == "\u{2764}\u{FE0F}" && reaction.content == nil)
            #expect(removed.reaction?.messageId == "wamid.SENT1" && removed.reaction?.emoji == nil)
            #expect(buttonReply.interactive?.type == "buttonReply" && buttonReply.interactive?.buttonReply?.id == "cancel-button")
            #expect(buttonReply.interactive?.buttonReply?.title == "Cancel" && buttonReply.context?.id == "wamid.SENT1")
            #expect(listReply.interactive?.type == "listReply" && listReply.interactive?.listReply?.id == "priority_express")
            #expect(listReply.interactive?.listReply?.description == "Next Day to 2 Days")
            #expect(flow.interactive?.type == "unknown" && flow.interactive?.buttonReply == nil)
            #expect(button.button?.payload == "track-42" && button.button?.text == "Track my order" && button.content == "Track my order")
            // ACS's event has no location or contacts field: Meta's object is the content, as JSON.
            let place = try JSONBody.decoder.decode(JSONValue.self, from: Data((location.content ?? "").utf8))
            #expect(
                place
                    == .object([
                        "latitude": .number(47.6062), "longitude": .number(-122.3321), "name": .string("Lucky Shrub"),
                        "address": .string("1 Pike St, Seattle, WA"),
                    ]))
            #expect(contacts.content?.contains(#""formatted_name":"Barbara Johnson""#) == true)
            #expect(sticker.media?.mimeType == "image/webp" && sticker.media?.animated == true && sticker.media?.id != nil)
            #expect(try await f.count("whatsapp_media") == 1)

            // Rendered for Event Grid, each is exactly the schema's AcsMessageReceivedEventData: nothing is lost when
            // it is read as the generated type and written again.
            let logged = try await f.devHandle.store.read { db in
                try await EventLog.events(since: Timestamp(milliseconds: 0), resource: f.devHandle, limit: 1000, in: db)
            }.filter { $0.type == MessagesEventType.received.rawValue }
            #expect(logged.count == messages.count)
            for event in logged {
                let decoded = try #require(Capabilities.eventCatalog.decode(event))
                let variant = try #require(decoded.eventGridVariants.first)
                let rendered = try #require(try decoded.eventGridData(for: variant).map { try JSONBody.encoder.encode(AnyEncodable($0)) })
                let schema = try JSONBody.decoder.decode(AcsMessageReceivedEventData.self, from: rendered)
                #expect(
                    try JSONBody.decoder.decode(JSONValue.self, from: try JSONBody.encoder.encode(schema))
                        == (try JSONBody.decoder.decode(JSONValue.self, from: rendered)), "\(String(decoding: rendered, as: UTF8.self))")
            }
        }
    }
}
