import Foundation
import SQLKit
import Testing

@testable import Switchboard

/// The messaging policy gate, rule by rule. Each test is named after the sentence of the messaging policy
/// (`seeds/004…`: Consent, Opt-out, Message content, Spoofing) it enforces; time is a manual clock.
@Suite struct PolicyTests {
    /// A resource with the policy as the server wires it, on a manual clock.
    struct Fixture {
        let server: TestServer
        let assembly: Assembly
        let policy: PolicyService
        let resource: ResourceHandle
        let clock: ManualClock

        func evaluate(_ channel: MessagingChannel = .sms, from: String, to: String, _ text: String = "Your appointment is tomorrow at 10.")
            async throws -> PolicyDecision
        {
            try #require(try await policy.evaluate(PolicyMessage(channel: channel, from: from, to: [to], text: text), in: resource).first)
        }

        @discardableResult
        func consent(
            _ recipient: String, program: String, kind: Consent.Kind = .written, channel: MessagingChannel = .sms, ageVerified: Bool? = nil,
            user: String? = nil
        ) async throws -> Consent {
            try await policy.recordConsent(
                .init(
                    recipient: recipient, channel: channel, programID: program, kind: kind,
                    evidence: Consent.Evidence(
                        medium: "webForm", campaign: "spring", ipAddress: "203.0.113.7", sessionId: "s-1", userAgent: "Mozilla/5.0",
                        screenshotRef: "s3://evidence/1.png", callToAction: "Text me reminders. Msg&data rates may apply. STOP to end.",
                        ageVerified: ageVerified),
                    communicationUserID: user),
                in: resource, serverURL: "https://127.0.0.1:8443")
        }

        @discardableResult
        func program(
            _ id: String, senders: [String], purpose: MessagingProgram.Purpose = .informational, category: MessagingProgram.Category = .general,
            doubleOptIn: Bool = false, ageGated: Bool = false, thirdParty: String? = nil
        ) async throws -> MessagingProgram {
            try await policy.putProgram(
                MessagingProgram(
                    id: id, name: "Contoso \(id)", description: "Contoso \(id) messages", purpose: purpose, category: category, senders: senders,
                    frequency: "Up to 4 msgs/month", fees: "Msg & data rates may apply", helpText: "Call +18005550199 for help",
                    ageGated: ageGated, doubleOptIn: doubleOptIn, thirdParty: thirdParty),
                in: resource
            ).0
        }

        func outbox(kind: String) async throws -> [(target: String, payload: Data?, state: String)] {
            try await resource.store.read { db in
                try await db.select().columns("target", "payload", "state").from("outbox")
                    .where { $0.where("kind", .equal, kind).orWhere("kind", .like, "\(kind).%") }.all().map {
                        (
                            try $0.decode(column: "target", as: String.self), try $0.decode(column: "payload", as: Data?.self),
                            try $0.decode(column: "state", as: String.self)
                        )
                    }
            }
        }
    }

    func withPolicy(
        engine: TestEngine = .sqlite, authorities: [any SenderAuthority] = [], _ body: (Fixture) async throws -> Void
    ) async throws {
        let clock = ManualClock()
        try await TestServer.with(engine: engine, clock: clock) { server in
            _ = try await server.createResource("shop", in: .unitedStates)
            let resource = try #require(try await server.runtime.resources.handle(named: "shop"))
            let assembly = try server.assembly()
            // The gate on its own: with no channel's authority, a sender must be listed in a program (the channels'
            // tests prove the gate with their authorities).
            let policy = PolicyService(changes: assembly.platform.changes, clock: clock, authorities: authorities)
            try await body(Fixture(server: server, assembly: assembly, policy: policy, resource: resource, clock: clock))
        }
    }

    static let alice = "+14255550101"
    static let bob = "+14255550102"

    // MARK: Consent

    @Test(arguments: TestEngine.available)
    func youMustObtainConsentBeforeSendingTheFirstMessage(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("reminders", senders: ["+18005550100"])
            let refused = try await f.evaluate(from: "+18005550100", to: Self.alice)
            #expect(refused.code == .consentRequired)
            #expect(refused.programId == "reminders")
            try await f.consent(Self.alice, program: "reminders", kind: .oral)
            let accepted = try await f.evaluate(from: "+18005550100", to: Self.alice)
            #expect(accepted.code == nil)
            #expect(accepted.rule == "consent.oral")
        }
    }

    @Test(arguments: TestEngine.available)
    func promotionalMessagesNeedWrittenConsentInformationalTakeWrittenOrOral(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("deals", senders: ["+18005550100"], purpose: .promotional)
            try await f.consent(Self.alice, program: "deals", kind: .oral)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .writtenConsentRequired)
            try await f.consent(Self.alice, program: "deals", kind: .written)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == nil)
        }
    }

    /// The gate reads what it needs of all of a message's recipients at once: a message to thirty recipients, none
    /// with consent and one with consent to another program, costs the statements a message to one does.
    @Test(arguments: TestEngine.available)
    func theGateReadsEveryRecipientAtOnceEvenThoseItRefuses(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.program("newsletter", senders: ["+18005550111"])
            try await f.consent(Self.alice, program: "newsletter")
            func decide(_ recipients: [String]) async throws -> (decisions: [PolicyDecision], statements: [String]) {
                try await f.assembly.platform.changes.run(in: f.resource) { tx in
                    let recording = RecordingDatabase(tx.db)
                    let decisions = try await f.policy.gate.decide(
                        PolicyMessage(channel: .sms, from: "+18005550100", to: recipients, text: "Your appointment is tomorrow at 10."),
                        recipients: recipients, settings: PolicySettings(), now: tx.now,
                        in: Transaction(db: recording, resource: tx.resource, now: tx.now, effects: tx.effects))
                    return (decisions, recording.statements)
                }
            }
            _ = try await decide([Self.bob])  // fills the content rules' cache
            let one = try await decide([Self.bob])
            let many = try await decide([Self.bob, Self.alice] + (10..<38).map { "+142555501\($0)" })
            #expect(one.decisions.map(\.code) == [.consentRequired])
            #expect(many.decisions.allSatisfy { $0.code == .consentRequired })
            #expect(!one.decisions[0].reason.contains("not transferable"))
            #expect(many.decisions[1].reason.contains("not transferable"))
            #expect(many.decisions.filter { $0.reason.contains("not transferable") }.count == 1)
            #expect(many.statements.count == one.statements.count, "\(many.statements)")
        }
    }

    @Test func consentIsNotTransferableAndLimitedInPurpose() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.program("newsletter", senders: ["+18005550111"])
            try await f.consent(Self.alice, program: "reminders")
            let other = try await f.evaluate(from: "+18005550111", to: Self.alice)
            #expect(other.code == .consentRequired)
            #expect(other.reason.contains("not transferable"))
            // Nor is consent on one channel consent on another.
            try await f.program("mail", senders: ["news@contoso.example"])
            #expect(try await f.evaluate(.email, from: "news@contoso.example", to: "alice@example.com").code == .consentRequired)
        }
    }

    @Test func consentCollectedForAThirdPartyNamesIt() async throws {
        try await withPolicy { f in
            try await f.program("partner", senders: ["+18005550100"], doubleOptIn: true, thirdParty: "Fabrikam Insurance")
            let consent = try await f.consent(Self.alice, program: "partner")
            #expect(consent.thirdParty == "Fabrikam Insurance")
            let row = try #require(try await f.outbox(kind: ConsentConfirmation.kind).first)
            let payload = try #require(row.payload)
            let confirmation = try JSONDecoder().decode(
                ConsentConfirmation.self, from: try f.resource.crypto.open(data: payload, field: Outbox.payloadField))
            #expect(confirmation.text.contains("Contoso partner, for Fabrikam Insurance"))
        }
    }

    @Test func recordsOfConsentKeepTheirEvidenceSealedAndTheirHistoryAppendOnly() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders", kind: .oral)
            f.clock.advance(by: .seconds(60))
            let consent = try await f.consent(Self.alice, program: "reminders", kind: .written)
            #expect(consent.history.map(\.action) == [.granted, .granted])
            #expect(consent.history.last?.evidence?.ipAddress == "203.0.113.7")
            #expect(consent.history.last?.evidence?.capturedOn != nil)
            // Nothing personal is stored in clear.
            let stored = try await f.resource.store.read { db in
                try await db.select().columns("recipient").from("messaging_consents").all(decodingColumn: "recipient", as: Data.self)
                    + db.select().columns("evidence").from("messaging_consent_history").all(decodingColumn: "evidence", as: Data.self)
            }
            for blob in stored {
                let text = String(decoding: blob, as: UTF8.self)
                #expect(!text.contains("4255550101") && !text.contains("203.0.113.7"))
            }
        }
    }

    // MARK: Double opt-in

    @Test func doubleOptInIsRequiredForTheCampaignsThePolicyNames() async throws {
        try await withPolicy { f in
            for category in MessagingProgram.Category.allCases where category.requiresDoubleOptIn {
                let program = try await f.program("p-\(category.rawValue)", senders: [], category: category, doubleOptIn: false)
                #expect(program.doubleOptIn, "\(category) forces double opt-in")
            }
            // A confirmation that would lack what the policy lists cannot be enabled.
            var incomplete = MessagingProgram(
                id: "giveaway", name: "Contoso", description: "Weekly giveaway", category: .sweepstakes, frequency: "Weekly", helpText: "Reply HELP")
            #expect(throws: PolicyError.incompleteConfirmation(field: "fees")) { try incomplete.validate() }
            incomplete.fees = "Free"
            incomplete.helpText = nil
            #expect(throws: PolicyError.incompleteConfirmation(field: "helpText")) { try incomplete.validate() }
        }
    }

    @Test(arguments: TestEngine.available)
    func theConfirmationMessageCarriesWhatThePolicyListsAndSendsWaitForIt(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("giveaway", senders: ["+18005550100", "+18005550101"], category: .sweepstakes)
            let consent = try await f.consent(Self.alice, program: "giveaway")
            #expect(consent.state == .awaitingConfirmation)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .doubleOptInPending)

            // Queued for the SMS channel, from the program's first SMS sender, waiting for a handler.
            let rows = try await f.outbox(kind: ConsentConfirmation.kind)
            #expect(rows.count == 1 && rows[0].target == "sms" && rows[0].state == "pending")
            let confirmation = try JSONDecoder().decode(
                ConsentConfirmation.self, from: try f.resource.crypto.open(data: try #require(rows[0].payload), field: Outbox.payloadField))
            #expect(confirmation.from == "+18005550100" && confirmation.to == Self.alice)
            for part in [
                "Contoso giveaway", "Contoso giveaway messages", "recurring message program", "Up to 4 msgs/month",
                "Msg & data rates may apply", "YES", "HELP", "STOP",
            ] {
                #expect(confirmation.text.contains(part), "the confirmation states \(part)")
            }

            // The recipient replies YES to any of the program's numbers.
            let confirmed = try #require(
                try await f.policy.confirm(recipient: Self.alice, channel: .sms, sender: "+18005550101", in: f.resource))
            #expect(confirmed.state == .active)
            #expect(confirmed.history.map(\.action) == [.granted, .confirmed])
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == nil)
            #expect(try await f.outbox(kind: ConsentConfirmation.kind).isEmpty, "the confirmation is withdrawn once confirmed")
        }
    }

    @Test func anEmailConfirmationLinkConfirmsOnceWithItsToken() async throws {
        try await withPolicy { f in
            try await f.program("weekly", senders: ["news@contoso.example"], doubleOptIn: true)
            try await f.consent("Alice@Example.com", program: "weekly", channel: .email)
            let row = try #require(try await f.outbox(kind: ConsentConfirmation.kind).first)
            let confirmation = try JSONDecoder().decode(
                ConsentConfirmation.self, from: try f.resource.crypto.open(data: try #require(row.payload), field: Outbox.payloadField))
            #expect(confirmation.to == "alice@example.com" && confirmation.subject != nil)
            let link = try #require(confirmation.confirmationUrl)
            #expect(link.hasPrefix("https://127.0.0.1:8443/-/messaging/confirm/shop/"))
            #expect(confirmation.text.contains(link))
            let token = String(try #require(link.split(separator: "/").last))
            await #expect(throws: PolicyError.consentNotFound) { try await f.policy.confirm(token: "forged", in: f.resource) }
            #expect(try await f.policy.confirm(token: token, in: f.resource).state == .active)
            await #expect(throws: PolicyError.consentNotFound) { try await f.policy.confirm(token: token, in: f.resource) }
        }
    }

    // MARK: Implied consent

    @Test(arguments: TestEngine.available)
    func aRecipientInitiatedConversationImpliesConsentOnlyForThatConversationAndWindow(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("support", senders: ["+18005550100", "+18005550111"])
            try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await f.policy.recordInbound(from: Self.alice, to: "+18005550100", channel: .sms, in: tx)
            }
            f.clock.advance(by: .seconds(3600))
            let reply = try await f.evaluate(from: "+18005550100", to: Self.alice)
            #expect(reply.code == nil && reply.rule == "impliedConsent.recipientInitiated")
            // Limited to the conversation the recipient started: not another number, not another recipient.
            #expect(try await f.evaluate(from: "+18005550111", to: Self.alice).code == .consentRequired)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.bob).code == .consentRequired)
            // And to the window (24 hours by default; the operator can change it).
            f.clock.advance(by: .seconds(23 * 3600 + 1))
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .consentRequired)
            try await f.policy.updateSettings(of: f.resource, conversationWindow: .seconds(48 * 3600))
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == nil)
        }
    }

    @Test func exemptServicesMayMessageWithoutConsentButMayNotIncludeSolicitations() async throws {
        try await withPolicy { f in
            try await f.program("parcels", senders: ["+18005550100"], category: .packageDelivery)
            let notice = try await f.evaluate(from: "+18005550100", to: Self.alice, "Your parcel 1Z999 arrives today between 2 and 4 pm.")
            #expect(notice.code == nil && notice.rule == "impliedConsent.exemptCategory")
            try await f.policy.putContentRule(
                ContentRule(id: "shop.coupon", kind: .solicitation, category: "solicitation", description: "Coupons", patterns: ["coupon code"]),
                id: "shop.coupon", enabled: true, in: f.resource)
            let advert = try await f.evaluate(from: "+18005550100", to: Self.alice, "Your parcel arrives today. Use coupon code SAVE20 next time!")
            #expect(advert.code == .solicitationNotAllowed && advert.rule == "shop.coupon")
            // An exempt program cannot be promotional in the first place.
            await #expect(throws: PolicyError.self) { try await f.program("ads", senders: [], purpose: .promotional, category: .fraudAlert) }
        }
    }

    // MARK: Opt-out

    @Test(arguments: TestEngine.available)
    func anOptOutCoversTheProgramOnAllOfItsSendersNotJustTheNumberItReached(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("deals", senders: ["+18005550100", "+18005550111", "DEALS"], purpose: .promotional)
            try await f.program("reminders", senders: ["+18005550122"])
            try await f.consent(Self.alice, program: "deals")
            try await f.consent(Self.alice, program: "reminders")
            let optOut = try await f.policy.recordOptOut(
                .init(recipient: Self.alice, channel: .sms, programID: "deals", source: "keyword"), in: f.resource)
            #expect(optOut.recipient == Self.alice)
            for sender in ["+18005550100", "+18005550111", "DEALS"] {
                let decision = try await f.evaluate(from: sender, to: Self.alice)
                #expect(decision.code == .recipientOptedOut, "\(sender)")
            }
            // "unless they expressly elect to continue receiving messages from a particular program"
            #expect(try await f.evaluate(from: "+18005550122", to: Self.alice).code == nil)
            let consents = try await f.policy.consents(recipient: Self.alice, channel: nil, programID: "deals", after: nil, limit: 10, in: f.resource)
            #expect(consents.first?.state == .revoked)
            #expect(consents.first?.history.last?.action == .revoked && consents.first?.history.last?.source == "keyword")
        }
    }

    @Test func recipientsMayOptOutThroughAnyReasonableMeansCoveringEveryProgramAndChannel() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.program("mail", senders: ["news@contoso.example"])
            try await f.consent(Self.alice, program: "reminders")
            try await f.consent("alice@example.com", program: "mail", channel: .email)
            // A phone call to support: no channel, no program.
            try await f.policy.recordOptOut(.init(recipient: Self.alice, source: "phoneCall"), in: f.resource)
            try await f.policy.recordOptOut(.init(recipient: "alice@example.com", source: "emailReply"), in: f.resource)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .recipientOptedOut)
            #expect(try await f.evaluate(.email, from: "news@contoso.example", to: "alice@example.com").code == .recipientOptedOut)
            let listed = try await f.policy.optOuts(recipient: Self.alice, after: nil, limit: 10, in: f.resource)
            #expect(listed.map(\.source) == ["phoneCall"])
        }
    }

    @Test func afterAnOptOutOnlyRenewedConsentLetsTheProgramSendAgain() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders")
            try await f.policy.recordOptOut(.init(recipient: Self.alice, channel: .sms, source: "keyword"), in: f.resource)
            f.clock.advance(by: .seconds(60))
            // Writing to the number again is no renewal of consent.
            try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await f.policy.recordInbound(from: Self.alice, to: "+18005550100", channel: .sms, in: tx)
            }
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .recipientOptedOut)
            // START: renewed consent, itself a ledger entry.
            let renewed = try await f.policy.resume(
                recipient: Self.alice, channel: .sms, sender: "+18005550100", keyword: "START", in: f.resource, serverURL: "https://h")
            #expect(renewed.state == .active)
            #expect(renewed.history.map(\.action) == [.granted, .revoked, .renewed])
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == nil)
        }
    }

    // MARK: Message content

    @Test func prohibitedContentIsRefusedRegardlessOfConsentAndNamesTheRule() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders")
            try await f.policy.putContentRule(
                ContentRule(
                    id: "shop.fakeDomains", kind: .prohibited, category: "fraud", description: "Look-alike domains",
                    urlDomains: ["contoso-login.example"]),
                id: "shop.fakeDomains", enabled: true, in: f.resource)
            let decision = try await f.evaluate(from: "+18005550100", to: Self.alice, "Verify here: https://secure.contoso-login.example/x")
            #expect(decision.code == .prohibitedContent && decision.rule == "shop.fakeDomains")
            #expect(decision.reason.contains("contoso-login.example"))
            // HTML link targets are read too, whatever the link's text says.
            let html = try #require(
                try await f.policy.evaluate(
                    PolicyMessage(
                        channel: .sms, from: "+18005550100", to: [Self.alice], html: "<a href=\"http://contoso-login.example\">contoso.com</a>"),
                    in: f.resource
                ).first)
            #expect(html.code == .prohibitedContent)
        }
    }

    @Test func ageRestrictedContentNeedsAnAgeGatedProgramAndAVerifiedRecipient() async throws {
        try await withPolicy { f in
            try await f.policy.putContentRule(
                ContentRule(id: "shop.wine", kind: .ageRestricted, category: "alcohol", description: "Alcohol", patterns: ["wine tasting"]),
                id: "shop.wine", enabled: true, in: f.resource)
            try await f.program("cellar", senders: ["+18005550100"], purpose: .promotional)
            try await f.consent(Self.alice, program: "cellar")
            let ungated = try await f.evaluate(from: "+18005550100", to: Self.alice, "Join our wine tasting on Friday")
            #expect(ungated.code == .ageGateRequired && ungated.rule == "shop.wine")
            try await f.program("cellar", senders: ["+18005550100"], purpose: .promotional, ageGated: true)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice, "Join our wine tasting").code == .ageGateRequired)
            try await f.consent(Self.alice, program: "cellar", ageVerified: true)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice, "Join our wine tasting").code == nil)
        }
    }

    @Test func contentRulesAreDataAResourceCanAddReplaceAndDisable() async throws {
        try await withPolicy { f in
            let rules = try await f.policy.contentRules(in: f.resource)
            #expect(!rules.isEmpty && rules.allSatisfy { $0.origin == .default && $0.enabled })
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders")
            _ = try await f.policy.putContentRule(
                ContentRule(id: "shop.words", kind: .prohibited, category: "custom", description: "Words we never send", patterns: ["zorp"]),
                id: "shop.words", enabled: true, in: f.resource)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice, "a ZORP appears").code == .prohibitedContent)
            try await f.policy.deleteContentRule("shop.words", in: f.resource)
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice, "a zorp appears").code == nil)
            await #expect(throws: PolicyError.ruleNotFound("shop.words")) { try await f.policy.deleteContentRule("shop.words", in: f.resource) }
            // A default rule is disabled, not deleted, and can be enabled again.
            if let first = rules.first {
                try await f.policy.deleteContentRule(first.id, in: f.resource)
                #expect(try await f.policy.contentRules(in: f.resource).first { $0.id == first.id }?.enabled == false)
                _ = try await f.policy.putContentRule(nil, id: first.id, enabled: true, in: f.resource)
                #expect(try await f.policy.contentRules(in: f.resource).first { $0.id == first.id }?.enabled == true)
            }
        }
    }

    // MARK: Spoofing

    /// A channel that owns exactly the numbers it was given.
    struct OwnedNumbers: SenderAuthority {
        let numbers: Set<String>
        var channel: MessagingChannel { .sms }
        func owns(_ sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool {
            numbers.contains(sender.value)
        }
    }

    @Test func messagesFromSendersTheResourceDoesNotOwnAreRefusedAsSpoofing() async throws {
        // Without a channel that knows ownership, a sender must at least be registered in a program.
        try await withPolicy { f in
            let unregistered = try await f.evaluate(from: "+18005550100", to: Self.alice)
            #expect(unregistered.code == .senderNotAuthorized && unregistered.rule == "sender.notRegistered")
            let malformed = try await f.evaluate(from: "not a sender!", to: Self.alice)
            #expect(malformed.code == .senderNotAuthorized)
        }
        try await withPolicy(authorities: [OwnedNumbers(numbers: ["+18005550100"])]) { f in
            // Owned but in no program: the default program (and its consent rules) applies.
            let owned = try await f.evaluate(from: "+18005550100", to: Self.alice)
            #expect(owned.code == .consentRequired && owned.programId == "default")
            #expect(try await f.evaluate(from: "+18005550999", to: Self.alice).code == .senderNotAuthorized)
            // A program cannot claim a number the resource does not own.
            await #expect(throws: PolicyError.senderNotOwned("+18005550999", target: "senders[0]")) {
                try await f.program("spoof", senders: ["+18005550999"])
            }
        }
    }

    @Test func aSenderBelongsToAtMostOneProgram() async throws {
        try await withPolicy { f in
            try await f.program("a", senders: ["+18005550100"])
            await #expect(throws: PolicyError.senderInUse(sender: "+18005550100", program: "a")) {
                try await f.program("b", senders: ["+1 (800) 555-0100"])
            }
            // Deleting a program frees its senders.
            try await f.policy.deleteProgram("a", in: f.resource)
            #expect(try await f.program("b", senders: ["+18005550100"]).senders == ["+18005550100"])
        }
    }

    // MARK: Modes, records and retention

    @Test(arguments: TestEngine.available)
    func auditModeSendsButRecordsTheDecisionEnforcementWouldMake(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders")
            let message = PolicyMessage(channel: .sms, from: "+18005550100", to: [Self.alice, Self.bob], text: "Your secret text")
            let enforced = try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await f.policy.decide(message, operation: "m-1", in: tx)
            }
            #expect(enforced.map(\.allowed) == [true, false])
            try await f.policy.updateSettings(of: f.resource, mode: .audit)
            let audited = try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await f.policy.decide(message, operation: "m-2", in: tx)
            }
            #expect(audited.map(\.allowed) == [true, true])
            #expect(audited[1].code == .consentRequired)

            let summary = try await f.policy.summary(days: 7, in: f.resource)
            #expect(summary.decisions == 4 && summary.accepted == 2 && summary.recipients == 2)
            #expect(summary.refused == ["ConsentRequired": 1] && summary.wouldRefuse == ["ConsentRequired": 1])
            #expect(summary.consentCoverage == 0.5 && summary.mode == .audit)

            // Decisions keep the masked recipient and the rule, never the content.
            let rows = try await f.resource.store.read { db in try await db.select().columns(SQLLiteral.all).from("messaging_decisions").all() }
            #expect(rows.count == 4)
            let log = try await f.policy.decisions(refusedOnly: true, before: nil, limit: 10, in: f.resource)
            #expect(log.count == 2 && log.allSatisfy { $0.recipient == "+1••••••••02" && $0.code == "ConsentRequired" })
            for row in rows {
                for column in ["recipient_mask", "rule", "sender", "operation"] {
                    let value = (try row.decode(column: column, as: String?.self)) ?? ""
                    #expect(!value.contains("secret") && !value.contains("4255550101"))
                }
            }
        }
    }

    @Test func recordsOfConsentAreKeptAtLeastFourYearsAfterTheirLastChange() async throws {
        try await withPolicy { f in
            try await f.program("reminders", senders: ["+18005550100"])
            try await f.consent(Self.alice, program: "reminders")
            try await f.consent(Self.bob, program: "reminders")
            f.clock.advance(by: .seconds(3 * 365 * 86_400))
            try await f.policy.recordOptOut(.init(recipient: Self.alice, source: "keyword"), in: f.resource)  // a change to Alice's consent
            f.clock.advance(by: .seconds(368 * 86_400))
            _ = await f.assembly.maintenance.sweepOnce()
            #expect(try await f.policy.consents(recipient: nil, channel: nil, programID: nil, after: nil, limit: 10, in: f.resource).count == 2)
            f.clock.advance(by: .seconds(2 * 86_400))
            _ = await f.assembly.maintenance.sweepOnce()
            // Four years after Bob's only change his record is gone; Alice's changed a year ago and stays, whole.
            let left = try await f.policy.consents(recipient: nil, channel: nil, programID: nil, after: nil, limit: 10, in: f.resource)
            #expect(left.count == 1)
            #expect(left.first?.recipient == Self.alice)
            #expect(left.first?.history.map(\.action) == [.granted, .revoked])
        }
    }

    @Test(arguments: TestEngine.available)
    func erasingAPersonReducesTheirConsentToAMinimalProofAndKeepsTheirOptOutInForce(engine: TestEngine) async throws {
        try await withPolicy(engine: engine) { f in
            let identities = try #require(f.assembly.capability(IdentityCapability.self)).service
            let user = try await identities.create(in: f.resource, customID: nil, token: nil).user
            try await f.program("reminders", senders: ["+18005550100"], doubleOptIn: true)
            try await f.consent(Self.alice, program: "reminders", user: user.rawID)
            #expect(try await f.outbox(kind: ConsentConfirmation.kind).count == 1)

            // Deleting the identity erases the person everywhere: the ledger keeps only the minimal proof.
            try await identities.delete(in: f.resource, user: user)
            let consent = try #require(
                try await f.policy.consents(recipient: Self.alice, channel: .sms, programID: nil, after: nil, limit: 10, in: f.resource).first)
            #expect(consent.recipient == nil && consent.state == .minimised)
            #expect(consent.history.map(\.action) == [.granted, .minimised])
            #expect(consent.history.first?.evidence == Consent.Evidence(capturedOn: consent.history.first?.evidence?.capturedOn, medium: "webForm"))
            #expect(try await f.outbox(kind: ConsentConfirmation.kind).isEmpty, "the pending confirmation is withdrawn")
            #expect(try await f.evaluate(from: "+18005550100", to: Self.alice).code == .consentRequired)

            // Erasing a phone number keeps its opt-out in force, without the number.
            try await f.policy.recordOptOut(.init(recipient: Self.bob, source: "keyword"), in: f.resource)
            _ = try await f.assembly.platform.changes.run(in: f.resource) { tx in
                try await f.assembly.platform.personalData.erase(.phoneNumber(Self.bob), in: tx)
            }
            let optOut = try #require(try await f.policy.optOuts(recipient: Self.bob, after: nil, limit: 10, in: f.resource).first)
            #expect(optOut.recipient == nil)
            try await f.consent(Self.bob, program: "default", kind: .written)
            #expect(
                try await f.policy.consents(recipient: Self.bob, channel: .sms, programID: "default", after: nil, limit: 1, in: f.resource)
                    .first?.history.first?.action == .renewed, "consent after an erased opt-out is a renewal")
        }
    }

    @Test func canonicalAddresses() {
        #expect(MessagingAddress.phoneNumber("+1 (425) 555-0101") == "+14255550101")
        #expect(MessagingAddress.phoneNumber("14255550101") == nil)
        #expect(MessagingAddress.phoneNumber("+0123456789") == nil)
        #expect(MessagingAddress.emailAddress(" Alice@Example.COM ") == "alice@example.com")
        #expect(MessagingAddress.emailAddress("alice@localhost") == nil)
        #expect(MessagingSender(parsing: "Contoso")?.kind == .alphanumeric)
        #expect(MessagingSender(parsing: "ContosoStore1")?.kind == nil, "alphanumeric ids have at most 11 characters")
        #expect(MessagingSender(parsing: "12345")?.kind == nil, "an alphanumeric id has a letter")
        #expect(MessagingAddress.masked("alice@example.com") == "a•••@example.com")
    }
}
