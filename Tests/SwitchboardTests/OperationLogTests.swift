import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import SQLKit
import Testing

@testable import Switchboard

/// The operational log through the real application: API operations with their caller, authentication failures,
/// deliveries and policy decisions, found by identifier and purged by it, kept per resource, in the resource's
/// geography, and never holding content.
@Suite struct OperationLogTests {
    static let version = "api-version=2026-12-01"

    func entries(_ shop: ResourceClient, _ client: any TestClientProtocol, _ query: String = "") async throws -> [[String: Any]] {
        let response = try await shop.send(client, .get, "/logs?\(Self.version)\(query)")
        #expect(response.status == .ok, "\(response.text)")
        return (response.json["value"] as? [[String: Any]]) ?? []
    }

    @Test func operationsAndAuthenticationFailuresAreLoggedWithTheirCallerAndNoContent() async throws {
        try await TestServer.with { server in
            let shop = try await server.createResource("shop", in: .unitedStates)
            let user = try await ChatUser.create(in: server, resource: "shop")
            try await server.test { client in
                let created = try await shop.send(client, .post, "/identities?api-version=2023-10-01", json: "{}")
                #expect(created.status == .created)
                let thread = try await user.createThread(client, topic: "log-canary-topic")
                _ = try await user.sendMessage(client, thread, "log-canary-text", displayName: "log-canary-name")
                var forged = shop
                forged.key = Data(repeating: 7, count: 32).base64EncodedString()
                #expect(try await forged.send(client, .get, "/logs?\(Self.version)").status == .unauthorized)

                let all = try await entries(shop, client, "&maxPageSize=1000")
                let identities = try #require(all.first { $0["operation"] as? String == "POST /identities" })
                #expect(identities["category"] as? String == "api" && identities["status"] as? String == "201")
                #expect(identities["callerType"] as? String == "accessKey" && identities["requestId"] is String)
                #expect(identities["durationMs"] is Int)
                let send = try #require(all.first { $0["operation"] as? String == "POST /chat/threads/{thread}/messages" })
                #expect(send["callerType"] as? String == "user" && send["caller"] as? String == user.id)

                let failures = try await entries(shop, client, "&category=authentication")
                #expect(failures.count == 1)
                #expect(failures.first?["status"] as? String == "401" && failures.first?["operation"] as? String == "GET /logs")
                #expect((failures.first?["details"] as? String)?.isEmpty == false, "the reason is logged for the operator")

                let mine = try await entries(shop, client, "&identifier=\(user.id)")
                #expect(mine.count == 2 && mine.allSatisfy { $0["caller"] as? String == user.id }, "\(mine)")

                let export = try await shop.send(client, .get, "/logs:export?\(Self.version)")
                #expect(export.headers[.contentType] == "application/x-ndjson")
                let lines = export.text.split(separator: "\n")
                #expect(lines.count >= all.count)
                for canary in ["log-canary-text", "log-canary-topic", "log-canary-name"] { #expect(!export.text.contains(canary)) }

                #expect(try await shop.send(client, .get, "/logs?\(Self.version)&category=nonsense").errorCode == "InvalidCategory")
                #expect(try await shop.send(client, .get, "/logs?\(Self.version)&identifier=nobody").errorCode == "InvalidIdentifier")
                #expect(try await shop.send(client, .get, "/logs?\(Self.version)&startTime=2026-02-30T00:00:00Z").status == .badRequest)

                // Paging walks every entry once.
                var seen: [String] = []
                var page = try await shop.send(client, .get, "/logs?\(Self.version)&maxPageSize=2")
                while true {
                    seen += ((page.json["value"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
                    guard let next = page.json["nextLink"] as? String, let url = URL(string: next) else { break }
                    page = try await shop.send(client, .get, "/logs?" + (url.query(percentEncoded: true) ?? ""))
                }
                #expect(seen.count == Set(seen).count && seen.count >= all.count)
            }
        }
    }

    /// Entry ids sort by time: 13 digits of milliseconds, then 12 hex digits of randomness.
    @Test func entryIDsAreTheTimeAndARandomSuffixZeroPadded() {
        let cases: [(Int64, UInt64)] = [(0, 0), (42, 1), (1_764_000_000_000, 0xabc), (9_999_999_999_999, (1 << 48) - 1), (123_456, 0x1_0000)]
        for (time, suffix) in cases {
            #expect(OperationLogStore.newID(at: Timestamp(milliseconds: time), suffix: suffix) == String(format: "%013lld-%012llx", time, suffix))
        }
    }

    @Test func deliveriesAndDecisionsAreFoundByTheRecipientAndPurgedByIt() async throws {
        try await PrivacyTests().withPeople(engine: .sqlite) { f in
            let phone = PrivacyTests.alicePhone.replacingOccurrences(of: "+", with: "%2B")
            try await f.deliver { try await entries(f.shop, f.client, "&identifier=\(phone)&category=delivery").count >= 1 }
            let about = try await entries(f.shop, f.client, "&identifier=\(phone)")
            let categories = Set(about.compactMap { $0["category"] as? String })
            let deliveries = try await entries(f.shop, f.client, "&category=delivery")
            #expect(categories.isSuperset(of: ["policy", "delivery"]), "\(about) \(deliveries)")
            #expect(!about.contains { ($0["details"] as? String)?.contains("Your order shipped") == true })
            let decisions = about.filter { $0["category"] as? String == "policy" }
            #expect(!decisions.isEmpty && decisions.allSatisfy { $0["subject"] as? String == PrivacyTests.alicePhone }, "\(decisions)")
            let bob = try await entries(f.shop, f.client, "&identifier=\(PrivacyTests.bobPhone.replacingOccurrences(of: "+", with: "%2B"))")
            #expect(!bob.isEmpty)

            let purged = try await f.shop.send(f.client, .post, "/logs:purge?\(Self.version)", json: #"{"identifier":"\#(PrivacyTests.alicePhone)"}"#)
            #expect(purged.status == .ok && (purged.json["purged"] as? Int ?? 0) >= about.count, "\(purged.text)")
            #expect(try await entries(f.shop, f.client, "&identifier=\(phone)").isEmpty)
            #expect(
                try await entries(f.shop, f.client, "&identifier=\(PrivacyTests.bobPhone.replacingOccurrences(of: "+", with: "%2B"))").count
                    == bob.count)

            // A person's erasure purges their entries too, and their export lists them.
            let email = try await entries(f.shop, f.client, "&identifier=\(PrivacyTests.aliceEmail)")
            #expect(!email.isEmpty)
            let status = try await f.run("erasures", f.subject)
            let receipt = try SignedReceipt.verify(try #require(status["receipt"] as? String), key: try await f.receiptKey())
            #expect((receipt.erased["operationalLog"]?["entries"] ?? 0) >= email.count)
            #expect(try await entries(f.shop, f.client, "&identifier=\(PrivacyTests.aliceEmail)").isEmpty)
        }
    }

    @Test(arguments: TestEngine.available)
    func eachResourceKeepsItsLogAsLongAsItsOperatorSaysInItsOwnGeography(engine: TestEngine) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            let shop = try await server.createResource("shop", in: .unitedStates)
            let europe = try await server.createResource("europe", in: .europe)
            let assembly = try Assembly(runtime: server.runtime, httpClient: .shared)
            let shopHandle = try #require(try await server.runtime.resources.handle(named: "shop"))
            let europeHandle = try #require(try await server.runtime.resources.handle(named: "europe"))
            try await server.test { (client: any TestClientProtocol) async throws -> Void in
                #expect(try await shop.send(client, .get, "/retention?\(Self.version)").status == .ok)
                #expect(try await europe.send(client, .get, "/retention?\(Self.version)").status == .ok)
                #expect(try await entries(shop, client).count >= 1)
            }
            // Each resource's entries are in its geography's store, and only there.
            for (handle, other) in [(shopHandle, europeHandle), (europeHandle, shopHandle)] {
                let here = try await handle.store.read { db in
                    try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("operation_logs")
                        .where("resource_id", .equal, handle.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
                }
                let there = try await other.store.read { db in
                    try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("operation_logs")
                        .where("resource_id", .equal, handle.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
                }
                #expect(here >= 1 && there == 0)
            }

            let settings = OperationLogSettings()
            await #expect(throws: APIError.self) { try await settings.setRetentionDays(0, of: shopHandle) }
            await #expect(throws: APIError.self) { try await settings.setRetentionDays(731, of: shopHandle) }
            #expect(try await settings.retentionDays(of: shopHandle) == 30)
            try await settings.setRetentionDays(2, of: shopHandle)
            func count(_ handle: ResourceHandle) async throws -> Int {
                try await handle.store.read { db in
                    try await OperationLogStore.entries(.init(), limit: 1000, resource: handle, in: db).count
                }
            }
            let before = (try await count(shopHandle), try await count(europeHandle))
            clock.advance(by: .seconds(86_400 + 3600))
            await assembly.maintenance.sweepOnce()
            #expect(try await count(shopHandle) == before.0, "a day old, within two days")
            clock.advance(by: .seconds(86_400))
            await assembly.maintenance.sweepOnce()
            #expect(try await count(shopHandle) == 0, "past two days")
            #expect(try await count(europeHandle) == before.1, "the other resource keeps its 30 days")
            clock.advance(by: .seconds(29 * 86_400))
            await assembly.maintenance.sweepOnce()
            #expect(try await count(europeHandle) == 0)
            // Every rule's passes are counted at /-/metrics, with their outcome and duration.
            let exposition = assembly.metrics.exposition()
            for rule in ["operationLogs", "privacy.archives", "eventLog", "chat.threadRetentionPolicy"] {
                #expect(exposition.contains(#"switchboard_retention_rule_passes_total{rule="\#(rule)",outcome="ok"}"#), "\(rule)")
            }
            #expect(exposition.contains("switchboard_retention_rule_duration_seconds_bucket"))
        }
    }
}
