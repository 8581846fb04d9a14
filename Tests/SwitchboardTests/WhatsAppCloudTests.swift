import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

@testable import Switchboard

/// A WhatsApp Cloud API channel against a local Graph API peer, on both engines: its templates synced from Meta into
/// `list_templates` (paged by Meta's cursors, then by ACS's), template sends checked against them, Meta's failures as
/// ACS-shaped errors.
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
                runtime.configuration.whatsapp.graphTimeout = .milliseconds(700)
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
            peer.behaviour = .slow(.seconds(3))
            let slow = try await f.dev.send(.get, "/messages/channels/\(Self.channel)/templates")
            #expect(slow.status == .gatewayTimeout && slow.errorCode == "WhatsAppTimeout", "\(slow.text)")
            peer.behaviour = .normal
            #expect(try await listAll(f, pageSize: 100).items.count == 5)
            for response in [rejected, down, slow] {
                #expect(!response.text.contains(GraphTemplatePeer.token) && (response.json["error"] as? [String: Any])?["message"] is String)
            }
        }
    }
}
