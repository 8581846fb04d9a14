import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import Switchboard

/// Advanced Messages (WhatsApp) through the real application on both engines, with time on a manual clock and the
/// outbox driven by hand: the five geographies, channels, every content kind to the sandbox, templates, WhatsApp's
/// 24-hour rule, the policy gate, repeatability, Meta's webhook and its signature, and isolation between resources.
/// (The official SDK drives the same paths in `conformance/test_messages.py`, the Cloud API against a local peer.)
@Suite struct WhatsAppTests {
    static let version = "2024-08-30"
    static let own = "2026-12-01"
    static let channel = "a3c9b0d2-5f1e-4b7a-9c8d-0e1f2a3b4c5d"
    static let handset = "+14255550101"

    struct Caller: Sendable {
        let client: any TestClientProtocol
        let resource: ResourceClient
        let clock: ManualClock

        func send(
            _ method: HTTPRequest.Method, _ path: String, json: String? = nil, version: String = WhatsAppTests.version,
            headers extra: HTTPFields = [:]
        ) async throws -> TestResponse {
            let separator = path.contains("?") ? "&" : "?"
            let target = "/\(resource.name)\(path)\(separator)api-version=\(version)"
            let body = json.map { Array($0.utf8) } ?? []
            var headers = resource.headers(method: method, target: target, body: body, date: clock.now.date)
            for field in extra { headers[field.name] = field.value }
            return try await client.execute(uri: target, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
        }

        func own(_ method: HTTPRequest.Method, _ path: String, json: String? = nil) async throws -> TestResponse {
            try await send(method, path, json: json, version: WhatsAppTests.own)
        }

        func sandboxChannel(_ id: String = WhatsAppTests.channel) async throws {
            let response = try await own(.put, "/messages/channels/\(id)", json: #"{"kind":"sandbox"}"#)
            #expect(response.status == .created, "\(response.text)")
        }

        func receive(from: String = WhatsAppTests.handset, text: String = "Hi", channel: String = WhatsAppTests.channel) async throws
            -> TestResponse
        {
            try await own(.post, "/sandbox/whatsapp:receive", json: #"{"channelRegistrationId":"\#(channel)","from":"\#(from)","text":"\#(text)"}"#)
        }

        func notify(_ content: String, to: [String] = [WhatsAppTests.handset], headers: HTTPFields = [:]) async throws -> TestResponse {
            let recipients = to.map { "\"\($0)\"" }.joined(separator: ",")
            return try await send(
                .post, "/messages/notifications:send",
                json: #"{"channelRegistrationId":"\#(WhatsAppTests.channel)","to":[\#(recipients)],\#(content)}"#, headers: headers)
        }

        func sandbox() async throws -> [[String: Any]] {
            let response = try await own(.get, "/sandbox/whatsapp/messages")
            #expect(response.status == .ok, "\(response.text)")
            return response.json["value"] as? [[String: Any]] ?? []
        }
    }

    struct Fixture: Sendable {
        let server: TestServer
        let assembly: Assembly
        let clock: ManualClock
        let dev: Caller
        let other: Caller
        let devHandle: ResourceHandle
        let client: any TestClientProtocol

        /// Runs the delivery workers until no message waits for its carrier (the application's own worker may hold
        /// a row's lease for a moment).
        func deliver() async throws {
            for _ in 0..<200 {
                while await assembly.worker.pass() {}
                let pending = try await devHandle.store.read { db in
                    try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("outbox")
                        .where("kind", .equal, MessagesService.sendKind).where("state", .equal, OutboxState.pending.rawValue)
                        .first(decodingColumn: "n", as: Int.self) ?? 0
                }
                if pending == 0 { return }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        func events(_ type: MessagesEventType) async throws -> [AdvancedMessageEventData] {
            try await devHandle.store.read { db in
                try await EventLog.events(since: Timestamp(milliseconds: 0), resource: devHandle, limit: 1000, in: db)
            }.filter { $0.type == type.rawValue }.map { try JSONBody.decoder.decode(AdvancedMessageEventData.self, from: $0.data) }
        }

        func count(_ table: String) async throws -> Int {
            try await devHandle.store.read { db in
                try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from(table)
                    .where("resource_id", .equal, devHandle.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
            }
        }

        func consent(_ recipient: String) async throws {
            _ = try await assembly.platform.policy.recordConsent(
                .init(
                    recipient: recipient, channel: .whatsapp, programID: MessagingProgram.defaultID, kind: .written,
                    evidence: Consent.Evidence(medium: "webForm", callToAction: "Get order updates on WhatsApp.")),
                in: devHandle, serverURL: "https://127.0.0.1:8443")
        }
    }

    func withWhatsApp(engine: TestEngine, _ body: @escaping @Sendable (Fixture) async throws -> Void) async throws {
        let clock = ManualClock(start: Timestamp(milliseconds: Timestamp(Date()).milliseconds / 1000 * 1000 + 250))
        try await TestServer.with(engine: engine, clock: clock) { server in
            let dev = try await server.createResource("dev", in: .unitedStates)
            let other = try await server.createResource("other", in: .europe)
            let devHandle = try #require(try await server.runtime.resources.handle(named: "dev"))
            let assembly = try server.assembly()
            try await server.test { client in
                try await body(
                    Fixture(
                        server: server, assembly: assembly, clock: clock, dev: Caller(client: client, resource: dev, clock: clock),
                        other: Caller(client: client, resource: other, clock: clock), devHandle: devHandle, client: client))
            }
        }
    }

    // MARK: Geography

    @Test func aResourceOutsideTheFiveGeographiesCannotRegisterAChannelOrSend() async throws {
        let clock = ManualClock(start: Timestamp(milliseconds: Timestamp(Date()).milliseconds / 1000 * 1000))
        try await TestServer.with(clock: clock) { server in
            let brazil = try await server.createResource("rio", in: .brazil)
            try await server.test { client in
                let caller = Caller(client: client, resource: brazil, clock: clock)
                let put = try await caller.own(.put, "/messages/channels/\(Self.channel)", json: #"{"kind":"sandbox"}"#)
                #expect(put.status == .forbidden)
                #expect(put.errorCode == "AdvancedMessagingNotAvailableInGeography")
                let message = (put.json["error"] as? [String: Any])?["message"] as? String ?? ""
                for name in ["Asia Pacific", "Australia", "Europe", "United Kingdom", "United States", "Brazil"] {
                    #expect(message.contains(name), "\(message)")
                }
                let send = try await caller.notify(#""kind":"text","content":"Hi""#)
                #expect(send.status == .forbidden && send.errorCode == "AdvancedMessagingNotAvailableInGeography")
            }
        }
    }

    // MARK: Content kinds and the sandbox

    @Test(arguments: TestEngine.available)
    func everyContentKindReachesTheSandboxAndOnlyMetadataStays(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            #expect(try await f.dev.receive().status == .accepted)
            let template = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/order_update?language=en_US", json: "{}")
            #expect(template.status == .created, "\(template.text)")
            let media = "https://media.example.com/receipt"
            let bodies = [
                #""kind":"text","content":"Your order has shipped.""#,
                #""kind":"image","mediaUri":"\#(media).png","caption":"Receipt""#,
                #""kind":"image_v0","mediaUri":"\#(media).png","content":"Old caption""#,
                #""kind":"document","mediaUri":"\#(media).pdf","caption":"PDF","fileName":"receipt.pdf""#,
                #""kind":"video","mediaUri":"\#(media).mp4""#,
                #""kind":"audio","mediaUri":"\#(media).mp3""#,
                #""kind":"template","template":{"name":"order_update","language":"en_US","values":[{"kind":"text","name":"name","text":"Bob"},{"kind":"image","name":"hero","url":"\#(media).jpg"}],"bindings":{"kind":"whatsApp","header":[{"refValue":"hero"}],"body":[{"refValue":"name"}]}}"#,
            ]
            var ids: [String] = []
            for body in bodies {
                let response = try await f.dev.notify(body)
                #expect(response.status == .accepted, "\(response.text)")
                let receipts = response.json["receipts"] as? [[String: Any]] ?? []
                #expect(receipts.count == 1 && receipts.first?["to"] as? String == Self.handset)
                ids += receipts.compactMap { $0["messageId"] as? String }
            }
            try await f.deliver()
            let captured = try await f.dev.sandbox().filter { $0["direction"] as? String == "outbound" }
            #expect(
                Set(captured.compactMap { ($0["content"] as? [String: Any])?["kind"] as? String })
                    == ["text", "image", "image_v0", "document", "video", "audio", "template"])
            let document = try #require(captured.first { ($0["content"] as? [String: Any])?["kind"] as? String == "document" })
            #expect((document["content"] as? [String: Any])?["fileName"] as? String == "receipt.pdf")
            // Each was reported delivered; the outbox rows no longer hold the content.
            let statuses = try await f.events(.deliveryStatusUpdated)
            #expect(Set(statuses.map(\.messageId)) == Set(ids) && statuses.allSatisfy { $0.status == "Delivered" && $0.from == Self.channel })
            let payloads = try await f.devHandle.store.read { db in
                try await db.select().column("payload").from("outbox").where("kind", .equal, MessagesService.sendKind)
                    .all(decodingColumn: "payload", as: Data?.self)
            }
            #expect(payloads.count == bodies.count && payloads.allSatisfy { $0 == nil })
            #expect(try await f.count("whatsapp_messages") == bodies.count + 1)
        }
    }

    @Test(arguments: TestEngine.available)
    func aHandsetsMediaIsDownloadableAndItsMessageBecomesAnEvent(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            let bytes = Data((0..<600).map { UInt8($0 % 251) })
            let response = try await f.dev.own(
                .post, "/sandbox/whatsapp:receive",
                json:
                    #"{"channelRegistrationId":"\#(Self.channel)","from":"\#(Self.handset)","media":{"mimeType":"image/png","caption":"look","data":"\#(bytes.base64EncodedString())"}}"#
            )
            #expect(response.status == .accepted, "\(response.text)")
            let mediaID = try #require(response.json["mediaId"] as? String)
            let download = try await f.dev.send(.get, "/messages/streams/\(mediaID)")
            #expect(download.status == .ok)
            #expect(Data(download.body.readableBytesView) == bytes)
            #expect(download.headers[.contentType] == "image/png")
            let received = try #require(try await f.events(.received).first)
            #expect(received.from == Self.handset && received.to == Self.channel && received.messageType == "image")
            #expect(received.media?.id == mediaID && received.media?.caption == "look")
            // Another resource's key reaches neither the media nor the channel.
            #expect(try await f.other.send(.get, "/messages/streams/\(mediaID)").status == .notFound)
            #expect(try await f.other.own(.get, "/messages/channels/\(Self.channel)").errorCode == "ChannelNotFound")
            let foreign = try await f.other.notify(#""kind":"template","template":{"name":"x","language":"en"}"#)
            #expect(foreign.status == .badRequest && foreign.errorCode == "ChannelNotFound")
        }
    }

    // MARK: WhatsApp's 24-hour rule

    @Test(arguments: TestEngine.available)
    func freeFormMessagesOnlyWithinTwentyFourHoursOfTheHandsetsLastMessage(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            _ = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/hello?language=en", json: "{}")
            try await f.consent(Self.handset)
            // Never wrote: only a template.
            let cold = try await f.dev.notify(#""kind":"text","content":"Hello""#)
            #expect(cold.status == .badRequest && cold.errorCode == "OutsideConversationWindow")
            #expect(try await f.dev.notify(#""kind":"template","template":{"name":"hello","language":"en"}"#).status == .accepted)

            #expect(try await f.dev.receive().status == .accepted)
            f.clock.advance(by: .seconds(86_399))
            #expect(try await f.dev.notify(#""kind":"text","content":"Still here""#).status == .accepted)
            f.clock.advance(by: .seconds(2))
            let late = try await f.dev.notify(#""kind":"image","mediaUri":"https://x.example/a.png""#)
            #expect(late.status == .badRequest && late.errorCode == "OutsideConversationWindow")
            #expect(try await f.dev.notify(#""kind":"template","template":{"name":"hello","language":"en"}"#).status == .accepted)
            // The refused sends queued nothing.
            #expect(try await f.count("whatsapp_messages") == 4)
        }
    }

    @Test(arguments: TestEngine.available)
    func theGateRefusesATemplateToARecipientWithoutConsent(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            _ = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/hello?language=en", json: "{}")
            let refused = try await f.dev.notify(#""kind":"template","template":{"name":"hello","language":"en"}"#, to: ["+14255550177"])
            #expect(refused.status == .forbidden && refused.errorCode == "MessageRefusedByPolicy", "\(refused.text)")
            #expect(try await f.count("whatsapp_messages") == 0)
        }
    }

    @Test(arguments: TestEngine.available)
    func stopFromAHandsetOptsOutOfTheChannelsProgramAndStartRenewsConsent(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            try await f.consent(Self.handset)
            #expect(try await f.dev.receive(text: "Hi").status == .accepted)
            #expect(try await f.dev.notify(#""kind":"text","content":"Your order has shipped.""#).status == .accepted)

            // STOP, as on SMS: an opt-out of the channel's program, recorded as evidence; the application still gets
            // the message as an event.
            #expect(try await f.dev.receive(text: " stop ").status == .accepted)
            let optOuts = try await f.assembly.platform.policy.optOuts(recipient: Self.handset, after: nil, limit: 10, in: f.devHandle)
            #expect(optOuts.map(\.source) == ["keyword"] && optOuts.first?.channel == .whatsapp)
            let refused = try await f.dev.notify(#""kind":"text","content":"One more thing""#)
            #expect(refused.status == .forbidden && refused.text.contains("RecipientOptedOut"), "\(refused.text)")
            #expect(try await f.events(.received).map(\.content) == ["Hi", " stop "])

            // START renews consent (written, by keyword) and the channel may send again.
            f.clock.advance(by: .seconds(1))
            #expect(try await f.dev.receive(text: "START").status == .accepted)
            #expect(try await f.dev.notify(#""kind":"text","content":"Welcome back""#).status == .accepted)
        }
    }

    // MARK: Templates

    @Test(arguments: TestEngine.available)
    func templatesAreListedByPageAndOnlyApprovedOnesWithBoundValuesAreSent(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            try await f.consent(Self.handset)
            for language in ["de", "en", "fr"] {
                _ = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/greeting?language=\(language)", json: "{}")
            }
            _ = try await f.dev.own(.put, "/messages/channels/\(Self.channel)/templates/promo?language=en", json: #"{"status":"pending"}"#)
            var response = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates?maxpagesize=2")
            var names: [String] = []
            while true {
                #expect(response.status == .ok, "\(response.text)")
                for item in response.json["value"] as? [[String: Any]] ?? [] {
                    #expect(item["kind"] as? String == "whatsApp")
                    names.append("\(item["name"] as? String ?? "")/\(item["language"] as? String ?? "")/\(item["status"] as? String ?? "")")
                }
                guard let next = response.json["nextLink"] as? String, let url = URL(string: next) else { break }
                let target = url.path(percentEncoded: true) + "?" + (url.query(percentEncoded: true) ?? "")
                let headers = f.dev.resource.headers(method: .get, target: target, body: [], date: f.clock.now.date)
                response = try await f.client.execute(uri: target, method: .get, headers: headers, body: nil)
            }
            #expect(names == ["greeting/de/approved", "greeting/en/approved", "greeting/fr/approved", "promo/en/pending"])

            let pending = try await f.dev.notify(#""kind":"template","template":{"name":"promo","language":"en"}"#)
            #expect(pending.errorCode == "TemplateNotApproved")
            let unknown = try await f.dev.notify(#""kind":"template","template":{"name":"nope","language":"en"}"#)
            #expect(unknown.errorCode == "TemplateNotFound")
            let unbound = try await f.dev.notify(
                #""kind":"template","template":{"name":"greeting","language":"en","values":[],"bindings":{"kind":"whatsApp","body":[{"refValue":"name"}]}}"#
            )
            #expect(
                unbound.status == .badRequest
                    && (unbound.json["error"] as? [String: Any])?["target"] as? String == "template.bindings.body[0].refValue")
        }
    }

    // MARK: Bad input

    @Test func badRequestsAreAnsweredWith400sAndWriteNothing() async throws {
        try await withWhatsApp(engine: .sqlite) { f in
            try await f.dev.sandboxChannel()
            _ = try await f.dev.receive()
            let cases: [(String, String?)] = [
                (#""kind":"sticker","content":"x""#, "kind"),
                (#""kind":"text""#, "content"),
                (#""kind":"image","mediaUri":"ftp://x/y""#, "mediaUri"),
                (#""kind":"audio","mediaUri":"https://x.example/a.mp3","caption":"no""#, "caption"),
                (#""kind":"template""#, "template"),
                (#""kind":"template","template":{"name":"x"}"#, "template.language"),
                (
                    #""kind":"template","template":{"name":"x","language":"en","values":[{"kind":"location","name":"l","latitude":91,"longitude":0}]}"#,
                    "template.values[0].latitude"
                ),
            ]
            for (body, target) in cases {
                let response = try await f.dev.notify(body)
                #expect(response.status == .badRequest, "\(body): \(response.text)")
                #expect((response.json["error"] as? [String: Any])?["target"] as? String == target, "\(body): \(response.text)")
            }
            let many = (0..<101).map { "+1425555\(String(format: "%04d", $0 + 1000))" }
            #expect(try await f.dev.notify(#""kind":"text","content":"x""#, to: many).errorCode == "TooManyRecipients")
            #expect(try await f.dev.notify(#""kind":"text","content":"x""#, to: ["12345"]).status == .badRequest)
            let badChannel = try await f.dev.send(
                .post, "/messages/notifications:send", json: #"{"channelRegistrationId":"nope","to":["+14255550101"],"kind":"text","content":"x"}"#)
            #expect(badChannel.status == .badRequest)
            #expect(try await f.dev.own(.put, "/messages/channels/\(Self.channel)", json: #"{"kind":"cloudApi"}"#).status == .badRequest)
            #expect(try await f.dev.send(.post, "/messages/notifications:send", json: "{").status == .badRequest)
            #expect(try await f.count("whatsapp_messages") == 1)
        }
    }

    // MARK: Repeatability

    @Test(arguments: TestEngine.available)
    func aRepeatedRequestIDReturnsTheFirstReceiptsAndSendsOnce(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            _ = try await f.dev.receive()
            var headers = HTTPFields()
            headers[HTTPField.Name("Repeatability-Request-ID")!] = UUID().uuidString
            headers[HTTPField.Name("Repeatability-First-Sent")!] = HTTPDate.format(f.clock.now.date)
            let first = try await f.dev.notify(#""kind":"text","content":"Once""#, headers: headers)
            #expect(first.status == .accepted && first.headers[HTTPField.Name("Repeatability-Result")!] == "accepted")
            let again = try await f.dev.notify(#""kind":"text","content":"Once""#, headers: headers)
            #expect(again.status == .accepted && again.headers[HTTPField.Name("Repeatability-Result")!] == "rejected")
            let ids = { (r: TestResponse) in (r.json["receipts"] as? [[String: Any]])?.compactMap { $0["messageId"] as? String } ?? [] }
            #expect(ids(first) == ids(again) && ids(first).count == 1)
            try await f.deliver()
            #expect(try await f.dev.sandbox().filter { $0["direction"] as? String == "outbound" }.count == 1)
        }
    }

    // MARK: Meta's webhook

    @Test(arguments: TestEngine.available)
    func theWebhookVerifiesMetaAndRecordsOnlySignedNotifications(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            let put = try await f.dev.own(
                .put, "/messages/channels/\(Self.channel)",
                json:
                    #"{"kind":"cloudApi","phoneNumberId":"106540352242922","accessToken":"EAAG-token","appSecret":"app-secret","verifyToken":"verify-me"}"#
            )
            #expect(put.status == .created, "\(put.text)")
            // The secrets are never answered, and are sealed at rest.
            #expect(!put.text.contains("EAAG-token") && !put.text.contains("app-secret") && !put.text.contains("verify-me"))
            let path = "/-" + (try #require(put.json["webhookPath"] as? String)).dropFirst(2)
            let stored = try await f.devHandle.store.read { db in
                try await db.select().column("app_secret").from("whatsapp_channels").first(decodingColumn: "app_secret", as: Data.self)
            }
            #expect(stored.map { !String(decoding: $0, as: UTF8.self).contains("app-secret") } == true)

            let handshake = try await f.client.execute(
                uri: "\(path)?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1158201444", method: .get, headers: [:], body: nil)
            #expect(handshake.status == .ok && handshake.text == "1158201444")
            let wrong = try await f.client.execute(
                uri: "\(path)?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1", method: .get, headers: [:], body: nil)
            #expect(wrong.status == .forbidden)

            let body = #"""
                {"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Kerry"},"wa_id":"14255550101"}],"messages":[{"from":"14255550101","id":"wamid.HBgLMTQyNTU1NTAxMDEVAgASGBQzQTg","timestamp":"1700000000","type":"text","text":{"body":"Where is my order?"}}]}}]}]}
                """#
            func post(_ signature: String?) async throws -> TestResponse {
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                if let signature { headers[HTTPField.Name("X-Hub-Signature-256")!] = signature }
                return try await f.client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            #expect(try await post(nil).status == .unauthorized)
            #expect(try await post(WhatsAppWebhook.signature(body: Data(body.utf8), secret: "another-secret")).status == .unauthorized)
            #expect(try await post("sha256=zz").status == .unauthorized)
            #expect(try await f.events(.received).isEmpty)
            #expect(try await f.count("whatsapp_messages") == 0)

            #expect(try await post(WhatsAppWebhook.signature(body: Data(body.utf8), secret: "app-secret")).status == .ok)
            let received = try #require(try await f.events(.received).first)
            #expect(received.from == Self.handset && received.to == Self.channel && received.content == "Where is my order?")
            // It opened the 24-hour window: a free-form reply is accepted.
            #expect(try await f.dev.notify(#""kind":"text","content":"On its way.""#).status == .accepted)
            // Another resource's webhook path does not name this channel.
            let other = "/-/whatsapp/\(f.other.resource.id.uuidString.lowercased()).\(Self.channel)/webhook"
            #expect(
                try await f.client.execute(
                    uri: "\(other)?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=1", method: .get,
                    headers: [:], body: nil
                ).status == .notFound)
        }
    }

    // MARK: Personal data

    @Test(arguments: TestEngine.available)
    func aHandsetsDataIsExportedAndErasedByNumber(engine: TestEngine) async throws {
        try await withWhatsApp(engine: engine) { f in
            try await f.dev.sandboxChannel()
            _ = try await f.dev.receive()
            _ = try await f.dev.notify(#""kind":"text","content":"Hello""#)
            try await f.deliver()
            let contributor = MessagesPersonalData()
            let exported = try await f.assembly.platform.changes.run(in: f.devHandle) { tx in
                try await contributor.export(.phoneNumber(Self.handset), in: tx)
            }
            #expect(exported != nil)
            let erased = try await f.assembly.platform.changes.run(in: f.devHandle) { tx in
                try await contributor.erase(.phoneNumber(Self.handset), in: tx)
            }
            #expect(erased["messages"] == 2 && erased["conversations"] == 1 && erased["sandboxMessages"] == 2)
            #expect(try await f.count("whatsapp_messages") == 0)
        }
    }
    // MARK: Event Grid

    @Test func bothEventsCarryOnlyTheirSchemasDataFieldsUnderTheirSubject() throws {
        var data = AdvancedMessageEventData(from: Self.handset, to: Self.channel, receivedTimestamp: Date(), messageId: "m")
        data.content = "hi"
        data.messageType = "image"
        data.media = .init(mimeType: "image/png", id: "x", fileName: "a.png", caption: "c")
        data.context = .init(from: Self.handset, id: "wamid.1")
        data.button = .init(text: "Yes", payload: "yes")
        data.error = .init(channelCode: "131047", channelMessage: "Re-engagement message")
        for (type, expected) in [
            (MessagesEventType.received, CommunicationEventType.advancedMessageReceived),
            (.deliveryStatusUpdated, .advancedMessageDeliveryStatusUpdated),
        ] {
            var payload = data
            if type == .deliveryStatusUpdated {
                (payload.content, payload.messageType, payload.media, payload.context, payload.button) = (nil, nil, nil, nil, nil)
                payload.status = "Delivered"
            }
            let event = LoggedEvent(
                header: EventHeader(id: 1, type: type.rawValue, recipients: [], createdAt: Timestamp(Date())),
                data: try JSONBody.encoder.encode(payload))
            let decoded = try #require(Capabilities.eventCatalog.decode(event))
            let variant = try #require(decoded.eventGridVariants.first)
            #expect(variant.type == expected)
            #expect(variant.subject == "advancedMessage/sender/\(Self.handset)/recipient/\(Self.channel)")
            let rendered = try #require(try decoded.eventGridData(for: variant).map { try JSONBody.encoder.encode(AnyEncodable($0)) })
            guard case .object(let fields) = try JSONBody.decoder.decode(JSONValue.self, from: rendered) else {
                Issue.record("no data for \(variant.type)")
                continue
            }
            #expect(Set(fields.keys).isSubset(of: Set(variant.type.dataFields)), "\(Set(fields.keys).subtracting(variant.type.dataFields))")
            #expect(fields["channelType"] == .string("whatsapp"))
        }
    }
}
