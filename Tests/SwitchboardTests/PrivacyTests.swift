import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@testable import Switchboard

/// Data-subject requests through the real application on both engines: a person active in chat, SMS and email with
/// consent on record is exported and erased in one request each; the archive holds them and nobody else, the
/// erasure leaves nothing of them in the API or the store files, and its receipt verifies against the resource's key
/// and fails when altered. (`conformance/test_privacy.py` checks the receipt with Python `cryptography`.)
@Suite struct PrivacyTests {
    static let version = "api-version=2026-12-01"
    static let alicePhone = "+14255550101"
    static let bobPhone = "+14255550102"
    static let aliceEmail = "alice@example.com"
    static let bobEmail = "bob@example.com"

    struct Fixture {
        let server: TestServer
        let client: any TestClientProtocol
        let assembly: Assembly
        let resource: ResourceHandle
        let shop: ResourceClient
        let clock: ManualClock
        let alice: ChatUser
        let bob: ChatUser
        let thread: String

        var subject: String {
            #"{"identifiers":{"communicationUserIds":["\#(alice.id)"],"phoneNumbers":["\#(PrivacyTests.alicePhone)"],"emailAddresses":["\#(PrivacyTests.aliceEmail)"]}}"#
        }

        func deliver() async {
            while await assembly.worker.pass() {}
        }

        /// Drives deliveries until `condition` holds: the application's own workers run beside this test's, and may
        /// hold a row this test is waiting for.
        func deliver(until condition: () async throws -> Bool) async throws {
            for _ in 0..<1000 {
                await deliver()
                if try await condition() { return }
                try await Task.sleep(for: .milliseconds(10))
            }
            Issue.record("the condition did not hold after the deliveries")
        }

        /// Submits a request of `kind` ("exports" or "erasures") for `body`, runs it, and returns its final status.
        func run(_ kind: String, _ body: String) async throws -> [String: Any] {
            let submitted = try await shop.send(client, .post, "/privacy/\(kind)?\(PrivacyTests.version)", json: body)
            #expect(submitted.status == .accepted, "\(submitted.text)")
            let location = try #require(submitted.headers[HTTPField.Name("Operation-Location")!])
            let id = try #require(submitted.json["id"] as? String)
            #expect(location.hasSuffix("/privacy/\(kind)/\(id)?\(PrivacyTests.version)"))
            #expect(submitted.json["status"] as? String == "NotStarted")
            // The application's own delivery workers run beside this test's: poll as the SDKs do, driving a pass of
            // ours in between, until one of them has run the request.
            var status = try await shop.send(client, .get, "/privacy/\(kind)/\(id)?\(PrivacyTests.version)")
            for _ in 0..<1000 where ["NotStarted", "Running"].contains(status.json["status"] as? String) {
                await deliver()
                try await Task.sleep(for: .milliseconds(10))
                status = try await shop.send(client, .get, "/privacy/\(kind)/\(id)?\(PrivacyTests.version)")
            }
            #expect(status.status == .ok)
            #expect(status.json["status"] as? String == "Succeeded", "\(status.text)")
            return status.json
        }

        func archive(_ id: String) async throws -> TestResponse {
            try await shop.send(client, .get, "/privacy/exports/\(id)/archive?\(PrivacyTests.version)")
        }

        func receiptKey() async throws -> ReceiptKey {
            let response = try await shop.send(client, .get, "/privacy/receiptKey?\(PrivacyTests.version)")
            return try #require(ReceiptKey(parsing: response.text))
        }
    }

    /// Alice and Bob, each with a chat identity, a phone number and an address, consent on record, a chat message,
    /// an SMS and an email.
    func withPeople(engine: TestEngine, _ body: @Sendable (Fixture) async throws -> Void) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            let shop = try await server.createResource("shop", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "shop"))
            let assembly = try Assembly(runtime: server.runtime, httpClient: .shared)
            let numbers = try #require(assembly.capability(NumbersCapability.self)).service
            let number = try await numbers.buySandboxTollFreeNumber(in: resource)
            let policy = assembly.platform.policy
            for (recipient, channel) in [
                (Self.alicePhone, MessagingChannel.sms), (Self.bobPhone, .sms), (Self.aliceEmail, .email), (Self.bobEmail, .email),
            ] {
                _ = try await policy.recordConsent(
                    .init(
                        recipient: recipient, channel: channel, programID: MessagingProgram.defaultID, kind: .written,
                        evidence: Consent.Evidence(medium: "webForm", callToAction: "evidence-canary for \(recipient)")),
                    in: resource, serverURL: "https://127.0.0.1:8443")
            }
            let sms = try #require(assembly.capability(SMSCapability.self)).service
            _ = try await sms.send(
                .init(
                    from: number, recipients: [.init(to: Self.alicePhone), .init(to: Self.bobPhone)], message: "Your order shipped.",
                    deliveryReport: true, tag: "t", reportTimeoutSeconds: nil),
                in: resource)
            let email = try #require(assembly.capability(EmailCapability.self)).service
            _ = try await email.send(
                .init(
                    senderAddress: "DoNotReply@\(email.sandboxDomain(of: resource))",
                    to: [EmailAddressValue(address: Self.aliceEmail), EmailAddressValue(address: Self.bobEmail)], subject: "Receipt",
                    plainText: "Thank you."),
                operationID: nil, in: resource)
            let alice = try await ChatUser.create(in: server, resource: "shop")
            let bob = try await ChatUser.create(in: server, resource: "shop")
            try await server.test { client in
                let thread = try await alice.createThread(
                    client, topic: "Orders", participants: [alice.participant("Alice"), bob.participant("Bob")])
                _ = try await alice.sendMessage(client, thread, "alice-canary-text", displayName: "Alice")
                _ = try await bob.sendMessage(client, thread, "bob-canary-text", displayName: "Bob")
                let fixture = Fixture(
                    server: server, client: client, assembly: assembly, resource: resource, shop: shop, clock: clock, alice: alice, bob: bob,
                    thread: thread)
                await fixture.deliver()
                try await body(fixture)
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func anExportHoldsEverythingAboutThePersonByCategoryAndNothingOfAnother(engine: TestEngine) async throws {
        try await withPeople(engine: engine) { f in
            let status = try await f.run("exports", f.subject)
            let id = try #require(status["id"] as? String)
            #expect((status["archiveLocation"] as? String)?.hasSuffix("/privacy/exports/\(id)/archive?\(Self.version)") == true)
            let response = try await f.archive(id)
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            let archive = response.json
            #expect(archive["type"] as? String == "switchboard.personalDataExport/v1")
            #expect(archive["geography"] as? String == Geography.unitedStates.compactName)
            let categories = try #require(archive["categories"] as? [String: Any])
            for category in ["identities", "chat", "sms", "email", "messagingPolicy", "eventsAndDeliveries"] {
                #expect(categories[category] != nil, "the archive has \(category)")
            }
            let text = response.text
            #expect(text.contains("alice-canary-text"))
            #expect(text.contains("evidence-canary for \(Self.alicePhone)"), "consent evidence is exported")
            for other in ["bob-canary-text", Self.bobPhone, Self.bobEmail, "evidence-canary for \(Self.bobEmail)"] {
                #expect(!text.contains(other), "nothing of Bob: \(other)")
            }
        }
    }

    @Test(arguments: TestEngine.available)
    func anErasureRemovesThePersonEverywhereAndItsSignedReceiptSaysWhat(engine: TestEngine) async throws {
        try await withPeople(engine: engine) { f in
            let export = try #require(try await f.run("exports", f.subject)["id"] as? String)
            let status = try await f.run("erasures", f.subject)
            let jws = try #require(status["receipt"] as? String)
            let key = try await f.receiptKey()
            let receipt = try SignedReceipt.verify(jws, key: key)
            #expect(receipt.resource.name == "shop" && receipt.geography == Geography.unitedStates.compactName)
            #expect(receipt.passes == 2)
            #expect(receipt.identifiers.map(\.kind).sorted() == ["communicationUser", "emailAddress", "phoneNumber"])
            for value in [f.alice.id, Self.alicePhone, Self.aliceEmail] { #expect(!jws.contains(value) && !"\(receipt)".contains(value)) }
            #expect(receipt.erased["identities"]?["identities"] == 1)
            #expect(receipt.erased["chat"]?["messages"] == 1)
            #expect((receipt.erased["chat"]?["memberships"] ?? 0) >= 1)
            #expect(receipt.erased["sms"]?["messages"] == 1)
            #expect(receipt.erased["email"]?["deliveries"] == 1)
            #expect(receipt.erased["messagingPolicy"]?["consentsMinimised"] == 2)
            #expect(receipt.erased["privacyExports"]?["archives"] == 1)
            #expect((receipt.erased["eventsAndDeliveries"]?["events"] ?? 0) >= 1)
            let raw = try await f.shop.send(f.client, .get, "/privacy/erasures/\(receipt.id)/receipt?\(Self.version)")
            #expect(raw.headers[.contentType] == "application/jose" && raw.text == jws)

            // Altered, or checked against another key, it does not verify.
            var parts = jws.split(separator: ".").map(String.init)
            var payload = try #require(Base64URL.decode(parts[1]))
            payload = Data(String(decoding: payload, as: UTF8.self).replacingOccurrences(of: "\"passes\":2", with: "\"passes\":3").utf8)
            parts[1] = Base64URL.encode(payload)
            #expect(throws: SignedReceipt.Failure.badSignature) { try SignedReceipt.verify(parts.joined(separator: "."), key: key) }
            let other = try #require(try await f.server.runtime.resources.handle(named: "shop")).receiptKey
            #expect(other == key, "the key is the resource's own, stable")
            _ = try await f.server.createResource("other", in: .unitedStates)
            let otherKey = try #require(try await f.server.runtime.resources.handle(named: "other")).receiptKey
            #expect(throws: SignedReceipt.Failure.wrongKey) { try SignedReceipt.verify(jws, key: otherKey) }

            // The export made before is gone; Alice is gone from chat; Bob's data is untouched.
            let archive = try await f.archive(export)
            #expect(archive.status == .gone && archive.errorCode == "ArchiveExpired")
            let texts = try await f.bob.texts(f.client, f.thread)
            #expect(texts.contains("bob-canary-text") && !texts.contains("alice-canary-text"))
            let again = try await f.archive(try #require(try await f.run("exports", f.subject)["id"] as? String))
            for category in ["identities", "chat", "sms", "email"] {
                #expect((again.json["categories"] as? [String: Any])?[category] == nil, "nothing left in \(category)")
            }
            #expect(!again.text.contains("evidence-canary"), "consents are reduced to their minimal proof")
            let bobs = try await f.run("exports", #"{"identifiers":{"phoneNumbers":["\#(Self.bobPhone)"],"emailAddresses":["\#(Self.bobEmail)"]}}"#)
            let bobArchive = try await f.archive(try #require(bobs["id"] as? String))
            #expect(bobArchive.text.contains("evidence-canary for \(Self.bobPhone)"))

            // Nothing of Alice in the store's files (the database and its write-ahead log); Bob's id, kept in clear
            // by chat, is there — the scan sees what is there.
            if engine == .sqlite {
                let files = try Self.storeBytes(f.server.dataDirectory)
                #expect(files.range(of: Data(f.alice.id.utf8)) == nil)
                #expect(files.range(of: Data(f.bob.id.utf8)) != nil)
            }
        }
    }

    @Test func anErasureIsIdempotentAndAnUnknownPersonGetsAReceiptOfNothing() async throws {
        try await withPeople(engine: .sqlite) { f in
            _ = try await f.run("erasures", f.subject)
            let status = try await f.run("erasures", f.subject)
            let receipt = try SignedReceipt.verify(try #require(status["receipt"] as? String), key: try await f.receiptKey())
            #expect(receipt.erased.values.allSatisfy { $0.values.allSatisfy { $0 == 0 } }, "\(receipt.erased)")
            let nobody = try await f.run("erasures", #"{"identifiers":{"emailAddresses":["nobody@example.net"]}}"#)
            #expect(nobody["erased"] != nil && nobody["identifierCount"] as? Int == 1)
        }
    }

    @Test func requestsThatNameNobodyOrSomeoneOfAnotherResourceAreRefused() async throws {
        try await withPeople(engine: .sqlite) { f in
            let other = try await f.server.createResource("other", in: .unitedStates)
            let stranger = try await ChatUser.create(in: f.server, resource: "other")
            for (body, code) in [
                (#"{"identifiers":{}}"#, "InvalidRequest"),
                (#"{"identifiers":{"phoneNumbers":["4255550101"]}}"#, "InvalidIdentifier"),
                (#"{"identifiers":{"emailAddresses":["not-an-address"]}}"#, "InvalidIdentifier"),
                (#"{"identifiers":{"communicationUserIds":["8:acs:nonsense"]}}"#, "InvalidIdentifier"),
                (#"{"identifiers":{"communicationUserIds":["\#(stranger.id)"]}}"#, "InvalidIdentifier"),
                (
                    #"{"identifiers":{"phoneNumbers":[\#((0..<101).map { "\"+1425555\(String(format: "%04d", $0))\"" }.joined(separator: ","))]}}"#,
                    "InvalidRequest"
                ),
                (#"{"identifiers":"+14255550101"}"#, nil),
            ] {
                for kind in ["exports", "erasures"] {
                    let response = try await f.shop.send(f.client, .post, "/privacy/\(kind)?\(Self.version)", json: body)
                    #expect(response.status == .badRequest, "\(body): \(response.text)")
                    if let code { #expect(response.errorCode == code, "\(body)") }
                }
            }
            #expect(await f.assembly.worker.pass() == false, "nothing was queued")

            let id = try #require(try await f.run("exports", f.subject)["id"] as? String)
            #expect(try await f.shop.send(f.client, .get, "/privacy/erasures/\(id)?\(Self.version)").status == .notFound)
            #expect(try await f.shop.send(f.client, .get, "/privacy/exports/\(UUID())?\(Self.version)").status == .notFound)
            // Another resource's key reaches neither the request nor its archive.
            #expect(try await other.send(f.client, .get, "/privacy/exports/\(id)?\(Self.version)").status == .notFound)
            #expect(try await other.send(f.client, .get, "/privacy/exports/\(id)/archive?\(Self.version)").status == .notFound)
            #expect(try await other.receiptKeyText(f.client) != (try await f.shop.receiptKeyText(f.client)))
        }
    }

    @Test func anArchiveIsKeptADayAndTheRetentionTableSaysSo() async throws {
        try await withPeople(engine: .sqlite) { f in
            let id = try #require(try await f.run("exports", f.subject)["id"] as? String)
            let table = try await f.shop.send(f.client, .get, "/retention?\(Self.version)")
            #expect(table.status == .ok)
            #expect(table.json["geography"] as? String == Geography.unitedStates.compactName)
            let names = ((table.json["rules"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
            for name in ["eventLog", "outbox", "sms.messages", "email.contents", "privacy.archives", "privacy.requests"] {
                #expect(names.contains(name), "\(name) is in the table")
            }

            // (The API signs with the real time, so the clock moves only after the last request.)
            let privacy = try #require(f.assembly.capability(PrivacyCapability.self)).service
            f.clock.advance(by: .seconds(23 * 3600))
            await f.assembly.maintenance.sweepOnce()
            #expect(try await privacy.archive(id, in: f.resource).count > 100)
            f.clock.advance(by: .seconds(2 * 3600))
            await f.assembly.maintenance.sweepOnce()
            await #expect(throws: PrivacyError.archiveExpired(id)) { try await privacy.archive(id, in: f.resource) }
            #expect(try await privacy.request(.export, id, in: f.resource).status == .succeeded)
        }
    }

    /// Every retention rule runs to the end over data of every channel on both engines, at every age it acts on: a
    /// rule that fails keeps what it should delete, and only says so in a log line and a metric.
    @Test(arguments: TestEngine.available)
    func everyRetentionRulePassesOverDataOfEveryChannel(engine: TestEngine) async throws {
        try await withPeople(engine: engine) { f in
            _ = try await f.run("exports", f.subject)
            for days in [1, 2, 8, 31, 91, 400, 800] {
                f.clock.advance(by: .seconds(Int64(days) * 86_400))
                await f.assembly.maintenance.sweepOnce()
            }
            let exposition = f.assembly.metrics.exposition()
            #expect(!exposition.contains(#"outcome="failed""#), "\(exposition.split(separator: "\n").filter { $0.contains("failed") })")
            for rule in f.assembly.maintenance.rules.map(\.name) {
                #expect(exposition.contains(#"switchboard_retention_rule_passes_total{rule="\#(rule)",outcome="ok"}"#), "\(rule)")
            }
        }
    }

    /// The bytes of every file under `directory` (the stores and their write-ahead logs).
    static func storeBytes(_ directory: URL) throws -> Data {
        var all = Data()
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            if let data = try? Data(contentsOf: file) { all.append(data) }
        }
        return all
    }
}

extension ResourceClient {
    func receiptKeyText(_ client: any TestClientProtocol) async throws -> String {
        try await send(client, .get, "/privacy/receiptKey?\(PrivacyTests.version)").text
    }
}
