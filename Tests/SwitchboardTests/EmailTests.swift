import AsyncHTTPClient
import DNSClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import Mail
import SMTP
import SQLKit
import Testing

@testable import Switchboard

/// Email from the service to the sandbox carrier, on both engines, with the outbox driven by hand on a manual clock:
/// the gate and the suppression lists, delivery reports, the hard-bounce lease, retries, the unsubscribe token, and
/// what is kept of a send once it is done. (The official SDK drives the same paths in `conformance/test_email.py`.)
@Suite struct EmailTests {
    struct Fixture {
        let server: TestServer
        let assembly: Assembly
        let email: EmailService
        let policy: PolicyService
        let resource: ResourceHandle
        let clock: ManualClock

        var sender: String { "DoNotReply@\(email.sandboxDomain(of: resource))" }

        func deliver() async {
            while await assembly.worker.pass() {}
        }

        func consent(_ recipient: String) async throws {
            _ = try await policy.recordConsent(
                .init(
                    recipient: recipient, channel: .email, programID: MessagingProgram.defaultID, kind: .written,
                    evidence: Consent.Evidence(medium: "webForm", callToAction: "Email me my receipts.")),
                in: resource, serverURL: "https://127.0.0.1:8443")
        }

        @discardableResult
        func send(_ to: [String], operationID: String? = nil) async throws -> EmailOperationView {
            try await email.send(
                .init(senderAddress: sender, to: to.map { EmailAddressValue(address: $0) }, subject: "Receipt", plainText: "Thank you."),
                operationID: operationID, in: resource)
        }

        func recipients(_ operation: String) async throws -> [EmailStore.Recipient] {
            try await resource.store.read { db in try await EmailStore.recipients(operation: operation, resource: resource, in: db) }
        }

        func reports() async throws -> [EmailDeliveryReportData] {
            try await resource.store.read { db in
                try await EventLog.events(since: Timestamp(milliseconds: 0), resource: resource, limit: 1000, in: db)
            }.filter { $0.type == EmailEventType.deliveryReport.rawValue }.map {
                try JSONBody.decoder.decode(EmailDeliveryReportData.self, from: $0.data)
            }
        }

        func count(_ table: String) async throws -> Int {
            try await resource.store.read { db in
                try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from(table)
                    .where("resource_id", .equal, resource.storageID).first(decodingColumn: "n", as: Int.self) ?? 0
            }
        }
    }

    func withEmail(engine: TestEngine, _ body: (Fixture) async throws -> Void) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("shop", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "shop"))
            let assembly = try Assembly(runtime: server.runtime, httpClient: .shared)
            try await body(
                Fixture(
                    server: server, assembly: assembly, email: try #require(assembly.capability(EmailCapability.self)).service,
                    policy: assembly.platform.policy,
                    resource: resource, clock: clock))
        }
    }

    @Test(arguments: TestEngine.available)
    func aSendPassesTheGateIsDeliveredAndItsContentIsErasedOnceEveryRecipientIsFinal(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("ivy@example.com")
            let operation = try await f.send(["ivy@example.com", "jack@example.com"])
            #expect(operation.status == "Running")
            var recipients = try await f.recipients(operation.id)
            #expect(recipients.map(\.status) == [.queued, .suppressed])
            #expect(recipients[1].statusDetails?.hasPrefix("ConsentRequired") == true)
            #expect(try await f.count("email_contents") == 1)

            await f.deliver()
            recipients = try await f.recipients(operation.id)
            #expect(recipients[0].status == .delivered && recipients[0].internetMessageID?.hasPrefix("<") == true)
            #expect(try await f.email.operation(operation.id, in: f.resource).status == "Succeeded")
            // "Ephemerally stored for processing": nothing of the content is left; the metadata stays.
            #expect(try await f.count("email_contents") == 0)
            #expect(try await f.count("email_recipients") == 2)
            let reports = try await f.reports()
            #expect(Set(reports.map(\.status)) == ["Delivered", "Suppressed"])
            #expect(reports.allSatisfy { $0.messageId == operation.id && $0.sender == f.sender.lowercased() })
            let captured = try await f.email.sandboxMailbox(recipient: "ivy@example.com", limit: 10, in: f.resource)
            #expect(captured.count == 1 && captured[0].dkim.status == "pass" && captured[0].subject == "Receipt")
        }
    }

    @Test(arguments: TestEngine.available)
    func theSameOperationIDAnswersTheSameOperationAndAnotherRequestWithItIsAConflict(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("ivy@example.com")
            let id = UUID().uuidString
            let first = try await f.send(["ivy@example.com"], operationID: id)
            let again = try await f.send(["ivy@example.com"], operationID: id)
            #expect(first.id == id.lowercased() && again.id == first.id)
            #expect(try await f.count("email_recipients") == 1)
            await #expect(throws: EmailError.operationIDConflict(id.lowercased())) {
                try await f.send(["other@example.com"], operationID: id)
            }
            await #expect(throws: EmailError.self) { try await f.send(["ivy@example.com"], operationID: "not-a-uuid") }
        }
    }

    @Test(arguments: TestEngine.available)
    func aHardBounceLeasesTheAddressAndARepeatWithinTheLeaseDoublesIt(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("bounce-kim@example.com")
            // Two sends queued before the first bounce: the second bounce falls within the first's lease.
            try await f.send(["bounce-kim@example.com"])
            try await f.send(["bounce-kim@example.com"])
            await f.deliver()
            #expect(try await f.reports().map(\.status) == ["Bounced", "Bounced"])

            f.clock.advance(by: .seconds(47 * 3600))
            let leased = try await f.send(["bounce-kim@example.com"])
            #expect(try await f.recipients(leased.id).first?.statusDetails?.hasPrefix("HardBounceLease") == true)
            #expect(leased.status == "Succeeded")

            // The lease lapsed after 48 hours: the address is tried again (and bounces again).
            f.clock.advance(by: .seconds(2 * 3600))
            let retried = try await f.send(["bounce-kim@example.com"])
            await f.deliver()
            #expect(try await f.recipients(retried.id).first?.status == .bounced)
        }
    }

    @Test(arguments: TestEngine.available)
    func openingAndClickingAnHTMLCopyAreEngagementReportsUnlessTrackingIsDisabled(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("ivy@example.com")
            let html =
                #"<html><body><p>Hi <a href="https://shop.example/orders/42?x=1&amp;y=2">your order</a>, <a href='mailto:help@shop.example'>help</a></p></body></html>"#
            for disabled in [false, true] {
                _ = try await f.email.send(
                    .init(
                        senderAddress: f.sender, to: [EmailAddressValue(address: "ivy@example.com")], subject: "Receipt", plainText: "Thanks",
                        html: html, trackingDisabled: disabled),
                    operationID: nil, serverURL: "https://127.0.0.1:8443", in: f.resource)
            }
            await f.deliver()
            let copies = try await f.email.sandboxMailbox(recipient: "ivy@example.com", limit: 10, in: f.resource)
            #expect(copies.count == 2)
            let untracked = try #require(copies.first { $0.html?.contains("/-/t/") == false })
            #expect(untracked.html?.contains("https://shop.example/orders/42") == true)
            let tracked = try #require(copies.first { $0.html?.contains("/-/t/") == true }?.html)
            #expect(!tracked.contains("https://shop.example/orders/42"), "the link is rewritten")
            #expect(tracked.contains("mailto:help@shop.example"), "only http(s) links are")
            let pixel = try #require(tracked.firstMatch(of: #/src="https://127\.0\.0\.1:8443(/-/t/o/[A-Za-z0-9_-]+)"/#)?.output.1)
            let link = try #require(tracked.firstMatch(of: #/href="https://127\.0\.0\.1:8443(/-/t/c/[A-Za-z0-9_-]+)"/#)?.output.1)

            try await f.server.test { client in
                var headers = HTTPFields()
                headers[.userAgent] = "MailReader/1.0"
                let image = try await client.execute(uri: String(pixel), method: .get, headers: headers)
                #expect(image.status == .ok && image.headers[.contentType] == "image/gif")
                let click = try await client.execute(uri: String(link), method: .get, headers: headers)
                #expect(click.status == .found)
                #expect(click.headers[.location] == "https://shop.example/orders/42?x=1&y=2")
                // A token altered or made up is no redirect, and no report.
                var forged = String(link)
                forged.replaceSubrange(forged.index(forged.endIndex, offsetBy: -6)..<forged.endIndex, with: "AAAAAA")
                #expect(try await client.execute(uri: forged, method: .get).status == .notFound)
                #expect(try await client.execute(uri: "/-/t/o/nonsense", method: .get).status == .ok, "the image answers whatever the token")
            }
            let engagements = try await f.resource.store.read { db in
                try await EventLog.events(since: Timestamp(milliseconds: 0), resource: f.resource, limit: 1000, in: db)
            }.filter { $0.type == EmailEventType.engagement.rawValue }.map {
                try JSONBody.decoder.decode(EmailEngagementData.self, from: $0.data)
            }
            #expect(engagements.map(\.engagementType) == ["view", "click"])
            #expect(
                engagements.allSatisfy { $0.recipient == "ivy@example.com" && $0.sender == f.sender.lowercased() && $0.userAgent == "MailReader/1.0" }
            )
            #expect(engagements.last?.engagementContext == "https://shop.example/orders/42?x=1&y=2")
        }
    }

    @Test(arguments: TestEngine.available)
    func aDoubleOptInProgramsConfirmationIsEmailedAndItsLinkConfirmsTheConsent(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            _ = try await f.policy.putProgram(
                MessagingProgram(
                    id: "news", name: "Contoso News", description: "The weekly newsletter", senders: [f.sender], frequency: "One email a week.",
                    fees: "Free.", helpText: "Write to help@contoso.example.", doubleOptIn: true),
                in: f.resource)
            let consent = try await f.policy.recordConsent(
                .init(
                    recipient: "ivy@example.com", channel: .email, programID: "news", kind: .written,
                    evidence: Consent.Evidence(medium: "webForm", callToAction: "Send me the newsletter.")),
                in: f.resource, serverURL: "https://127.0.0.1:8443")
            #expect(consent.state == .awaitingConfirmation)
            // Until confirmed, the program's sends are refused; the confirmation itself goes out.
            let refused = try await f.send(["ivy@example.com"])
            await f.deliver()
            #expect(try await f.recipients(refused.id).first?.status == .suppressed)
            let mail = try await f.email.sandboxMailbox(recipient: "ivy@example.com", limit: 10, in: f.resource)
            let confirmation = try #require(mail.first { $0.subject == "Confirm your subscription to Contoso News" })
            #expect(confirmation.dkim.status == "pass")
            #expect(confirmation.html?.contains("/-/t/") == false, "a confirmation is never tracked")
            let link = try #require(confirmation.text?.firstMatch(of: #/https://127\.0\.0\.1:8443(/-/messaging/confirm/\S+)/#)?.output.1)
            #expect(confirmation.html?.contains(String(link)) == true)

            try await f.server.test { client in
                #expect(try await client.execute(uri: String(link), method: .get).status == .ok, "a GET only shows the page")
                #expect(
                    try await f.policy.consents(
                        recipient: "ivy@example.com", channel: .email, programID: "news", after: nil, limit: 1, in: f.resource
                    )
                    .first?.state == .awaitingConfirmation)
                let confirmed = try await client.execute(uri: String(link), method: .post)
                #expect(confirmed.status == .ok)
            }
            #expect(
                try await f.policy.consents(recipient: "ivy@example.com", channel: .email, programID: "news", after: nil, limit: 1, in: f.resource)
                    .first?.state == .active)
            let allowed = try await f.send(["ivy@example.com"])
            await f.deliver()
            #expect(try await f.recipients(allowed.id).first?.status == .delivered)
        }
    }

    @Test func theLeaseDoublesUpToFourteenDays() async throws {
        try await withEmail(engine: .sqlite) { f in
            var now = f.clock.now
            var lengths: [Int64] = []
            for _ in 0..<7 {
                let at = now
                let lease = try await f.resource.store.transaction { db in
                    try await EmailStore.recordHardBounce("x@example.com", now: at, resource: f.resource, in: db)
                }
                lengths.append((lease.until.milliseconds - now.milliseconds) / 3_600_000)
                now = now.adding(seconds: 3600)
            }
            #expect(lengths == [24, 48, 96, 168, 336, 336, 336])
        }
    }

    @Test(arguments: TestEngine.available)
    func aSoftBounceIsRetriedThenBounces(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("softbounce-lee@example.com")
            let operation = try await f.send(["softbounce-lee@example.com"])
            await f.deliver()
            #expect(try await f.recipients(operation.id).first?.status == .deferred)
            #expect(try await f.email.operation(operation.id, in: f.resource).status == "Succeeded")
            #expect(try await f.count("email_contents") == 1)
            f.clock.advance(by: .seconds(2))
            await f.deliver()
            #expect(try await f.recipients(operation.id).first?.status == .bounced)
            #expect(try await f.count("email_contents") == 0)
        }
    }

    @Test func anUnsubscribeTokenNamesItsRecipientAndProgramRevealsNothingAndCannotBeAltered() async throws {
        try await withEmail(engine: .sqlite) { f in
            let token = try EmailUnsubscribe.token(program: "news", recipient: "ivy@example.com", resource: f.resource)
            let opened = try #require(try await EmailUnsubscribe.open(token, resources: f.assembly.platform.resources))
            #expect(opened.0.id == f.resource.id && opened.program == "news" && opened.recipient == "ivy@example.com")
            #expect(!token.contains("ivy") && !token.contains("news"))
            var altered = Array(token)
            altered[altered.count - 5] = altered[altered.count - 5] == "A" ? "B" : "A"
            #expect(try await EmailUnsubscribe.open(String(altered), resources: f.assembly.platform.resources) == nil)
            #expect(try await EmailUnsubscribe.open("not-a-token", resources: f.assembly.platform.resources) == nil)
        }
    }

    /// Spoofing, as the send and the gate both check it: a sender is the resource's only as a registered username on
    /// its sandbox domain or on a custom domain that verified.
    @Test(arguments: TestEngine.available)
    func onlyARegisteredUsernameOnADomainThatMaySendIsTheResourcesToSendFrom(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            func owns(_ address: String) async throws -> Bool {
                let sender = try #require(MessagingSender(parsing: address))
                return try await f.resource.store.read { db in try await EmailService.Authority().owns(sender, resource: f.resource, in: db) }
            }
            func send(from address: String) async throws {
                _ = try await f.email.send(
                    .init(senderAddress: address, to: [.init(address: "ivy@example.com")], subject: "s", plainText: "t"), operationID: nil,
                    in: f.resource)
            }
            let sandbox = f.email.sandboxDomain(of: f.resource)
            // The sandbox domain's DoNotReply, before and after the domain is made on first use.
            #expect(try await owns("DoNotReply@\(sandbox)"))
            #expect(!(try await owns("someone@\(sandbox)")))
            try await send(from: f.sender)
            #expect(try await owns("DoNotReply@\(sandbox)"))
            #expect(!(try await owns("someone@\(sandbox)")))
            await #expect(throws: EmailError.senderNotFound("someone@\(sandbox)")) { try await send(from: "someone@\(sandbox)") }

            // A custom domain sends only once it verified, and only from its registered usernames.
            let now = f.clock.now
            let unverified = EmailStore.Domain(
                domain: "shop.example", kind: .custom, ownershipToken: "t", verification: nil, verified: false, verifiedAt: nil, createdAt: now,
                updatedAt: now)
            try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await EmailStore.insert(unverified, resource: f.resource, in: tx.db)
                try await EmailStore.upsert(
                    .init(domain: "shop.example", username: "news", displayName: "News", createdAt: now, updatedAt: now), resource: f.resource,
                    in: tx.db)
            }
            #expect(!(try await owns("news@shop.example")))
            await #expect(throws: EmailError.domainNotVerified("shop.example")) { try await send(from: "news@shop.example") }
            var verified = unverified
            verified.verified = true
            try await f.assembly.platform.changes.run(in: f.resource) { [verified] tx in
                try await EmailStore.update(verified, resource: f.resource, in: tx.db)
            }
            #expect(try await owns("News@shop.example"))
            #expect(!(try await owns("sales@shop.example")))
            await #expect(throws: EmailError.senderNotFound("sales@shop.example")) { try await send(from: "sales@shop.example") }
            #expect(!(try await owns("news@elsewhere.example")))
            await #expect(throws: EmailError.domainNotLinked("elsewhere.example")) { try await send(from: "news@elsewhere.example") }
        }
    }

    @Test func requestsACSRefusesAreRefusedBeforeAnythingIsRecorded() async throws {
        try await withEmail(engine: .sqlite) { f in
            let many = (0..<51).map { EmailAddressValue(address: "r\($0)@example.com") }
            await #expect(throws: EmailError.tooManyRecipients(limit: 50)) {
                try await f.email.send(.init(senderAddress: f.sender, to: many, subject: "s", plainText: "t"), operationID: nil, in: f.resource)
            }
            await #expect(throws: EmailError.domainNotLinked("example.org")) {
                try await f.email.send(
                    .init(senderAddress: "a@example.org", to: [.init(address: "b@example.com")], subject: "s", plainText: "t"), operationID: nil,
                    in: f.resource)
            }
            await #expect(throws: EmailError.self) {
                try await f.email.send(
                    .init(senderAddress: f.sender, to: [.init(address: "b@example.com")], subject: "s\r\nBcc: x@example.com", plainText: "t"),
                    operationID: nil, in: f.resource)
            }
            let recorded = try await f.count("email_operations")
            #expect(recorded == 0)
        }
    }

    @Test func aBounceAddressNamesItsResourceAndRecipientFitsALocalPartAndSurvivesCaseChanges() throws {
        for length in 0..<12 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }
        #expect(Base32.decode("not base32!") == nil)
        let resource = UUID()
        let token = EmailBounceAddress.newToken()
        let address = EmailBounceAddress.address(resource: resource, token: token, domain: "shop.example")
        let local = address.split(separator: "@")[0]
        #expect(local.count <= 64)
        let parsed = try #require(EmailBounceAddress.parse(address))
        #expect(parsed.resource == resource && parsed.token == token)
        let shouted = try #require(EmailBounceAddress.parse(address.uppercased()))
        #expect(shouted.resource == resource && shouted.token == token)
        #expect(EmailBounceAddress.parse("donotreply@shop.example") == nil)
        #expect(EmailBounceAddress.parse("bounces+abc@shop.example") == nil)
    }

    @Test(arguments: TestEngine.available)
    func aDeliveryStatusNotificationBouncesADeliveredRecipientOnceAndStartsTheLease(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("ivy@example.com")
            let operation = try await f.send(["ivy@example.com"])
            await f.deliver()
            let delivered = try #require(try await f.recipients(operation.id).first)
            #expect(delivered.status == .delivered)
            let address = EmailBounceAddress.address(resource: f.resource.id, token: delivered.bounceToken, domain: "shop.example")

            func notification(_ action: DeliveryStatusNotification.Action, _ status: String) throws -> DeliveryStatusNotification {
                let bytes = DeliveryStatusNotification.make(
                    from: try MailAddress("MAILER-DAEMON@mx.example.net"), to: try MailAddress(address), reportingMTA: "mx.example.net",
                    recipients: [
                        .init(
                            finalRecipient: .rfc822("ivy@example.com"), action: action, status: try #require(DeliveryStatusCode(status)),
                            remoteMTA: .dns("store.example.net"), diagnosticCode: .smtp("552 \(status) Mailbox full"))
                    ])
                return try DeliveryStatusNotification(parsing: bytes)
            }
            // A delay changes nothing; a failure bounces the recipient, reports it again and leases the address.
            #expect(try await f.email.recordNotification(try notification(.delayed, "4.2.2"), to: address) == false)
            #expect(try await f.email.recordNotification(try notification(.failed, "5.2.2"), to: address))
            let bounced = try #require(try await f.recipients(operation.id).first)
            #expect(bounced.status == .bounced && bounced.statusDetails == "552 5.2.2 Mailbox full" && bounced.mailServer == "store.example.net")
            #expect(try await f.reports().map(\.status) == ["Delivered", "Bounced"])
            // Told twice, it is counted once; an address this server did not hand out changes nothing.
            #expect(try await f.email.recordNotification(try notification(.failed, "5.2.2"), to: address) == false)
            let forged = EmailBounceAddress.address(resource: f.resource.id, token: EmailBounceAddress.newToken(), domain: "shop.example")
            #expect(try await f.email.recordNotification(try notification(.failed, "5.2.2"), to: forged) == false)
            let next = try await f.send(["ivy@example.com"])
            #expect(try await f.recipients(next.id).first?.statusDetails?.hasPrefix("HardBounceLease") == true)
        }
    }

    /// Delivery records a batch's outcomes and moves its operations on together (one statement for those that
    /// succeeded, one erasing finished contents, one withdrawing their deadlines): each operation still gets exactly
    /// what it alone would have.
    @Test(arguments: TestEngine.available)
    func aBatchOfCopiesOfSeveralSendsMovesEachSendOnAsItsOwnRecipientsWarrant(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            for address in ["amy@example.com", "ben@example.com", "bounce1@example.com", "softbounce1@example.com", "cal@example.com"] {
                try await f.consent(address)
            }
            let delivered = try await f.send(["amy@example.com", "ben@example.com"])
            let bounced = try await f.send(["bounce1@example.com"])
            let waiting = try await f.send(["softbounce1@example.com", "cal@example.com"])
            #expect(try await f.count("email_contents") == 3)
            await f.deliver()

            func operation(_ id: String) async throws -> EmailStore.Operation? {
                try await f.resource.store.read { db in try await EmailStore.operation(id, resource: f.resource, in: db) }
            }
            func deadlines(_ id: String) async throws -> Int {
                try await f.resource.store.read { db in
                    try await db.select().column(SQLFunction("count", args: SQLLiteral.all), as: "n").from("outbox")
                        .where("resource_id", .equal, f.resource.storageID).where("correlation_scope", .equal, "email:\(id)")
                        .where("correlation_item", .equal, "expire").first(decodingColumn: "n", as: Int.self) ?? 0
                }
            }
            // Every recipient attempted: each send succeeded (a bounce is reported, it does not fail the send).
            for id in [delivered.id, bounced.id, waiting.id] {
                let stored = try #require(try await operation(id))
                #expect(stored.status == .succeeded && stored.errorCode == nil && stored.finishedAt != nil)
            }
            #expect(try await f.recipients(delivered.id).map(\.status) == [.delivered, .delivered])
            #expect(try await f.recipients(bounced.id).map(\.status) == [.bounced])
            #expect(try await f.recipients(waiting.id).map(\.status) == [.deferred, .delivered])
            // Only the send with a deferred copy keeps its content and its deadline.
            #expect(try await f.count("email_contents") == 1)
            #expect(try await deadlines(delivered.id) == 0)
            #expect(try await deadlines(bounced.id) == 0)
            #expect(try await deadlines(waiting.id) == 1)
            let content = try await f.resource.store.read { db in
                try await EmailStore.contents(operations: [delivered.id, bounced.id, waiting.id], resource: f.resource, in: db)
            }
            #expect(Array(content.keys) == [waiting.id])
        }
    }

    @Test(arguments: TestEngine.available)
    func anUnsubscribeMailToTheBounceAddressOptsTheRecipientOut(engine: TestEngine) async throws {
        try await withEmail(engine: engine) { f in
            try await f.consent("ivy@example.com")
            let operation = try await f.send(["ivy@example.com"])
            await f.deliver()
            let recipient = try #require(try await f.recipients(operation.id).first)
            let address = EmailBounceAddress.address(resource: f.resource.id, token: recipient.bounceToken, domain: "shop.example")
            #expect(try await f.email.recordUnsubscribeMail(to: address))
            let next = try await f.send(["ivy@example.com"])
            #expect(try await f.recipients(next.id).first?.statusDetails?.hasPrefix("RecipientOptedOut") == true)
        }
    }

    @Test func aRelaySpreadsRecipientsOverItsConnectionsAndKeepsEachRecipientOnOne() throws {
        let relay = try SMTPRelay(parsing: "smtp://user:pw@relay.example:2525?starttls=required&connections=3")
        #expect(relay.connections == 3 && relay.port == 2525 && relay.username == "user" && relay.tls == .startTLS(required: true))
        #expect(try SMTPRelay(parsing: "smtp://relay.example").connections == 4)
        #expect(throws: ConfigurationError.self) { try SMTPRelay(parsing: "smtp://relay.example?connections=0") }
        #expect(throws: ConfigurationError.self) { try SMTPRelay(parsing: "http://relay.example") }
        func carrier(_ delivery: SMTPDelivery) -> SMTPEmailCarrier {
            SMTPEmailCarrier(delivery: delivery, dns: DNSResolver(), hostname: "sb.test", timeouts: SMTPTimeouts(), logger: Logger(label: "test"))
        }
        let addresses = try (0..<60).map { try MailAddress("user\($0)@example.net") }
        let lanes = addresses.map { carrier(.relay(relay)).lane(forRecipient: $0) }
        #expect(Set(lanes) == ["relay-0", "relay-1", "relay-2"])
        #expect(carrier(.relay(relay)).lane(forRecipient: try MailAddress("USER7@example.net")) == lanes[7])
        #expect(carrier(.direct(port: 25)).lane(forRecipient: try MailAddress("a@Example.NET")) == "example.net")
    }
}
