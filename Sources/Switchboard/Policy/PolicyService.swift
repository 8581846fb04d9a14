import Crypto
import Foundation
import SQLKit

/// What the messaging policy does: programs, the consent ledger, opt-outs, content rules, the gate and its record.
/// The API, the CLI and the channels all go through it.
public struct PolicyService: Sendable {
    let changes: Changes
    let clock: any WallClock
    let gate: PolicyGate
    let rules: ContentRuleCache

    init(changes: Changes, clock: any WallClock, authorities: [any SenderAuthority], defaultRules: [ContentRule] = DefaultContentRules.all) {
        self.changes = changes
        self.clock = clock
        self.rules = ContentRuleCache(defaults: defaultRules)
        self.gate = PolicyGate(authorities: authorities, rules: rules)
    }

    // MARK: Settings

    public func settings(of resource: ResourceHandle) async throws -> PolicySettings {
        try await resource.store.read { db in try await PolicyStore.settings(resource: resource, in: db) }
    }

    /// Changes the mode or the conversation window (an operator's command, not an API).
    @discardableResult
    public func updateSettings(of resource: ResourceHandle, mode: PolicyMode? = nil, conversationWindow: Duration? = nil) async throws
        -> PolicySettings
    {
        if let seconds = conversationWindow?.components.seconds, !PolicySettings.conversationWindowRange.contains(seconds) {
            throw PolicyError.invalid("The conversation window must be between 1 hour and 7 days.", target: "conversationWindow")
        }
        return try await changes.run(in: resource) { tx in
            var settings = try await PolicyStore.settings(resource: resource, in: tx.db)
            if let mode { settings.mode = mode }
            if let conversationWindow { settings.conversationWindow = conversationWindow }
            try await PolicyStore.save(settings, resource: resource, now: tx.now, in: tx.db)
            return settings
        }
    }

    // MARK: Programs

    /// Creates or replaces a program; returns it and whether it is new. Its senders must be the resource's (where
    /// the channel knows) and in no other program.
    public func putProgram(_ program: MessagingProgram, in resource: ResourceHandle) async throws -> (MessagingProgram, Bool) {
        var program = program
        try program.validate()
        let candidate = program
        let gate = self.gate
        let created = try await changes.run(in: resource) { tx in
            for (index, sender) in candidate.parsedSenders.enumerated() {
                if let authority = gate.authorities[sender.channel], !(try await authority.owns(sender, resource: resource, in: tx.db)) {
                    throw PolicyError.senderNotOwned(sender.value, target: "senders[\(index)]")
                }
            }
            return try await PolicyStore.save(candidate, resource: resource, now: tx.now, in: tx.db)
        }
        return (try await self.program(program.id, in: resource), created)
    }

    /// A program; the default one exists even when never written.
    public func program(_ id: String, in resource: ResourceHandle) async throws -> MessagingProgram {
        let found = try await resource.store.read { db in try await PolicyStore.program(id, resource: resource, in: db) }
        if let found { return found }
        if id == MessagingProgram.defaultID { return .implicitDefault() }
        throw PolicyError.programNotFound(id)
    }

    /// Programs after the id `after`, by id.
    public func programs(after: String?, limit: Int, in resource: ResourceHandle) async throws -> [MessagingProgram] {
        try await resource.store.read { db in try await PolicyStore.programs(after: after, limit: limit, resource: resource, in: db) }
    }

    /// Deletes a program: its senders fall back to the default program; its consent records stay in the ledger.
    public func deleteProgram(_ id: String, in resource: ResourceHandle) async throws {
        let deleted = try await changes.run(in: resource) { tx in try await PolicyStore.deleteProgram(id, resource: resource, in: tx.db) }
        guard deleted || id == MessagingProgram.defaultID else { throw PolicyError.programNotFound(id) }
    }

    // MARK: Consent

    public struct ConsentRequest: Sendable {
        public var recipient: String
        public var channel: MessagingChannel
        public var programID: String
        public var kind: Consent.Kind
        public var evidence: Consent.Evidence
        /// The identity this person uses in the application: deleting it reduces the consent to its minimal proof.
        public var communicationUserID: String?

        public init(
            recipient: String, channel: MessagingChannel, programID: String, kind: Consent.Kind, evidence: Consent.Evidence,
            communicationUserID: String? = nil
        ) {
            self.recipient = recipient
            self.channel = channel
            self.programID = programID
            self.kind = kind
            self.evidence = evidence
            self.communicationUserID = communicationUserID
        }
    }

    /// Records consent. For a double opt-in program the consent awaits confirmation, and the confirmation is queued
    /// to the recipient from the program's first sender on the channel.
    ///
    /// - Parameter serverURL: where the confirmation link of an email points (`https://host:port`).
    public func recordConsent(_ request: ConsentRequest, in resource: ResourceHandle, serverURL: String) async throws -> Consent {
        let recipient = try MessagingAddress.recipient(request.recipient, channel: request.channel, target: "recipient")
        try request.evidence.validate()
        if let user = request.communicationUserID, UserID(rawID: user)?.resourceID != resource.id {
            throw PolicyError.invalid("communicationUserId must be an identity of this resource.", target: "communicationUserId")
        }
        let program = try await self.program(request.programID, in: resource)
        var evidence = request.evidence
        evidence.capturedOn = evidence.capturedOn ?? clock.now.date
        let sender = program.sender(for: request.channel)
        if program.doubleOptIn, sender == nil { throw PolicyError.noConfirmationSender(program: program.id, channel: request.channel) }
        let recorded = evidence
        let id = try await changes.run(in: resource) { tx in
            let index = resource.crypto.blindIndex(recipient, kind: request.channel.recipientKind)
            let userIndex = request.communicationUserID.map { resource.crypto.subjectIndex(.communicationUser($0)) }
            let existing = try await PolicyStore.consent(
                recipientIndex: index, channel: request.channel, program: program.id, resource: resource, in: tx.db)
            let optedOut = try await PolicyStore.latestOptOut(
                recipientIndex: index, channel: request.channel, program: program.id, resource: resource, in: tx.db)
            let renewal =
                existing.map { $0.state == .revoked || $0.state == .minimised } ?? false
                || optedOut.map { opt in existing.map { $0.grantedAt <= opt.at } ?? true } ?? false
            // A confirmed consent granted again stays confirmed; anything else waits for the recipient's confirmation.
            let state: Consent.State = program.doubleOptIn && !(existing?.state == .active && !renewal) ? .awaitingConfirmation : .active
            let token = state == .awaitingConfirmation ? Self.newToken() : nil
            let hash = token.map(PolicyStore.hash(confirmationToken:))
            let ageVerified = recorded.ageVerified ?? false
            let id: String
            if let existing {
                id = existing.id
                try await PolicyStore.renewConsent(
                    id: id, kind: request.kind, state: state, ageVerified: ageVerified, thirdParty: program.thirdParty, userIndex: userIndex,
                    confirmationHash: hash, recipient: recipient, now: tx.now, resource: resource, in: tx.db)
            } else {
                id = UUID().uuidString.lowercased()
                try await PolicyStore.insertConsent(
                    id: id, recipient: recipient, recipientIndex: index, channel: request.channel, program: program.id, kind: request.kind,
                    state: state, ageVerified: ageVerified, thirdParty: program.thirdParty, userIndex: userIndex, confirmationHash: hash,
                    now: tx.now, resource: resource, in: tx.db)
            }
            try await PolicyStore.appendHistory(
                consent: id, action: renewal ? .renewed : .granted, kind: request.kind, evidence: recorded, now: tx.now, resource: resource,
                in: tx.db)
            if let token, let sender {
                let correlation = Correlation(scope: "consent:\(id)")
                try await Outbox.withdraw(correlatedWith: correlation, resource: resource, in: tx.db)
                let confirmation = ConsentConfirmation.make(
                    consentID: id, program: program, channel: request.channel, from: sender, to: recipient,
                    confirmationURL: "\(serverURL)/-/messaging/confirm/\(resource.name)/\(token)")
                try await Outbox.enqueue(
                    [
                        NewOutboxItem(
                            kind: ConsentConfirmation.kind(for: request.channel), target: request.channel.rawValue,
                            deliveryID: "\(id):\(tx.now.milliseconds)",
                            subject: MessagingAddress.subject(of: recipient), correlation: correlation,
                            payload: try JSONBody.encoder.encode(confirmation), maxAttempts: 10, expiresAt: tx.now.adding(seconds: 7 * 86_400))
                    ], in: tx)
            }
            return id
        }
        return try await consent(id, in: resource)
    }

    /// The recipient confirmed through the link of a confirmation.
    @discardableResult
    public func confirm(token: String, in resource: ResourceHandle, source: String = "confirmationLink") async throws -> Consent {
        let id = try await changes.run(in: resource) { tx -> String in
            guard
                let consent = try await PolicyStore.consent(
                    confirmationHash: PolicyStore.hash(confirmationToken: token), resource: resource, in: tx.db)
            else { throw PolicyError.consentNotFound }
            try await Self.markConfirmed(consent.id, source: source, in: tx)
            return consent.id
        }
        return try await consent(id, in: resource)
    }

    /// The recipient replied YES to `sender`: confirms their pending consent to the sender's program, if any.
    /// Returns the confirmed consent, or `nil` when nothing awaited confirmation.
    @discardableResult
    public func confirm(recipient: String, channel: MessagingChannel, sender: String, in resource: ResourceHandle, source: String = "keyword")
        async throws -> Consent?
    {
        let recipient = try MessagingAddress.recipient(recipient, channel: channel, target: "recipient")
        let from = try MessagingSender.parse(sender, channel: channel, target: "sender")
        let id = try await changes.run(in: resource) { tx -> String? in
            let program = try await PolicyStore.programID(ofSender: from, resource: resource, in: tx.db) ?? MessagingProgram.defaultID
            guard
                let consent = try await PolicyStore.consent(
                    recipientIndex: resource.crypto.blindIndex(recipient, kind: channel.recipientKind), channel: channel, program: program,
                    resource: resource, in: tx.db), consent.state == .awaitingConfirmation
            else { return nil }
            try await Self.markConfirmed(consent.id, source: source, in: tx)
            return consent.id
        }
        return try await id.asyncMap { try await consent($0, in: resource) }
    }

    static func markConfirmed(_ id: String, source: String, in tx: Transaction) async throws {
        try await PolicyStore.setConsentState(.active, id: id, resource: tx.resource, in: tx.db)
        try await PolicyStore.appendHistory(consent: id, action: .confirmed, source: source, now: tx.now, resource: tx.resource, in: tx.db)
        try await Outbox.withdraw(correlatedWith: Correlation(scope: "consent:\(id)"), resource: tx.resource, in: tx.db)
    }

    /// One consent with its history.
    public func consent(_ id: String, in resource: ResourceHandle) async throws -> Consent {
        let row = try await resource.store.read { db in try await PolicyStore.consent(id: id, resource: resource, in: db) }
        guard let row, let consent = try await withHistory([row], in: resource).first else { throw PolicyError.consentNotFound }
        return consent
    }

    /// Consents with their history, filtered by recipient, channel and program, after the id `after`.
    public func consents(
        recipient: String?, channel: MessagingChannel?, programID: String?, after: String?, limit: Int, in resource: ResourceHandle
    ) async throws -> [Consent] {
        var index: Data?
        if let recipient {
            let canonical =
                if let channel {
                    try MessagingAddress.recipient(recipient, channel: channel, target: "recipient")
                } else {
                    try MessagingAddress.anyRecipient(recipient, target: "recipient")
                }
            index = resource.crypto.blindIndex(canonical, kind: MessagingAddress.indexKind(of: canonical))
        }
        let recipientIndex = index
        let rows = try await resource.store.read { db in
            try await PolicyStore.consents(
                recipientIndex: recipientIndex, channel: channel, program: programID, after: after, limit: limit, resource: resource, in: db)
        }
        return try await withHistory(rows, in: resource)
    }

    func withHistory(_ rows: [PolicyStore.ConsentRow], in resource: ResourceHandle) async throws -> [Consent] {
        try await resource.store.read { db in try await PolicyStore.consentsWithHistory(rows, resource: resource, in: db) }
    }

    // MARK: Opt-outs

    public struct OptOutRequest: Sendable {
        public var recipient: String
        public var channel: MessagingChannel?
        public var programID: String?
        public var source: String

        public init(recipient: String, channel: MessagingChannel? = nil, programID: String? = nil, source: String) {
            self.recipient = recipient
            self.channel = channel
            self.programID = programID
            self.source = source
        }
    }

    /// Records an opt-out received by any means and revokes the consents it covers.
    @discardableResult
    public func recordOptOut(_ request: OptOutRequest, in resource: ResourceHandle) async throws -> OptOut {
        let recipient =
            if let channel = request.channel {
                try MessagingAddress.recipient(request.recipient, channel: channel, target: "recipient")
            } else {
                try MessagingAddress.anyRecipient(request.recipient, target: "recipient")
            }
        let source = request.source.trimmingCharacters(in: .whitespaces)
        guard (1...64).contains(source.count) else {
            throw PolicyError.invalid(
                "source must be 1-64 characters (keyword, unsubscribeLink, api, phoneCall, webForm, support, emailReply, …).", target: "source")
        }
        if let program = request.programID { _ = try await self.program(program, in: resource) }
        let id = UUID().uuidString.lowercased()
        try await changes.run(in: resource) { tx in
            try await PolicyStore.insertOptOut(
                id: id, recipient: recipient, channel: request.channel, program: request.programID, source: source, now: tx.now,
                resource: resource, in: tx.db)
            let covered = try await PolicyStore.consents(
                recipientIndex: resource.crypto.blindIndex(recipient, kind: MessagingAddress.indexKind(of: recipient)),
                channel: request.channel, program: request.programID, after: nil, limit: 10_000, resource: resource, in: tx.db)
            for consent in covered where consent.state == .active || consent.state == .awaitingConfirmation {
                try await PolicyStore.setConsentState(.revoked, id: consent.id, resource: resource, in: tx.db)
                try await PolicyStore.appendHistory(consent: consent.id, action: .revoked, source: source, now: tx.now, resource: resource, in: tx.db)
                try await Outbox.withdraw(correlatedWith: Correlation(scope: "consent:\(consent.id)"), resource: resource, in: tx.db)
            }
        }
        return OptOut(
            id: id, recipient: recipient, channel: request.channel, programId: request.programID, source: source, recordedOn: clock.now.date)
    }

    /// The recipient wrote START (or another resume keyword) to `sender`: renews their consent to the sender's
    /// program on the channel — written, by keyword — as a ledger entry.
    public func resume(
        recipient: String, channel: MessagingChannel, sender: String, keyword: String, medium: String = "keyword", in resource: ResourceHandle,
        serverURL: String
    ) async throws -> Consent {
        let from = try MessagingSender.parse(sender, channel: channel, target: "sender")
        let program = try await resource.store.read { db in
            try await PolicyStore.programID(ofSender: from, resource: resource, in: db)
        }
        return try await recordConsent(
            ConsentRequest(
                recipient: recipient, channel: channel, programID: program ?? MessagingProgram.defaultID, kind: .written,
                evidence: Consent.Evidence(medium: medium, callToAction: keyword)),
            in: resource, serverURL: serverURL)
    }

    /// Whether an opt-out keeps `sender`'s program from sending to `recipient` on `channel`: the gate's own rule (an
    /// opt-out stands until consent is granted after it).
    public func isOptedOut(recipient: String, channel: MessagingChannel, sender: String, in resource: ResourceHandle) async throws -> Bool {
        let recipient = try MessagingAddress.recipient(recipient, channel: channel, target: "to")
        let from = try MessagingSender.parse(sender, channel: channel, target: "from")
        return try await resource.store.read { db in
            let program = try await PolicyStore.programID(ofSender: from, resource: resource, in: db) ?? MessagingProgram.defaultID
            let index = resource.crypto.blindIndex(recipient, kind: channel.recipientKind)
            guard
                let (_, at) = try await PolicyStore.latestOptOut(
                    recipientIndex: index, channel: channel, program: program, resource: resource, in: db)
            else { return false }
            let consent = try await PolicyStore.consent(recipientIndex: index, channel: channel, program: program, resource: resource, in: db)
            return consent.map { $0.grantedAt <= at } ?? true
        }
    }

    public func optOuts(recipient: String?, after: String?, limit: Int, in resource: ResourceHandle) async throws -> [OptOut] {
        let index = try recipient.map { text throws(PolicyError) -> Data in
            let recipient = try MessagingAddress.anyRecipient(text, target: "recipient")
            return resource.crypto.blindIndex(recipient, kind: MessagingAddress.indexKind(of: recipient))
        }
        return try await resource.store.read { db in
            try await PolicyStore.optOuts(recipientIndex: index, after: after, limit: limit, resource: resource, in: db)
        }
    }

    // MARK: Conversations

    /// A recipient wrote to one of the resource's senders: for the conversation window, replies to them carry
    /// implied consent (the channels call this for every inbound message).
    public func recordInbound(from recipient: String, to sender: String, channel: MessagingChannel, in tx: Transaction) async throws {
        let recipient = try MessagingAddress.recipient(recipient, channel: channel, target: "from")
        let sender = try MessagingSender.parse(sender, channel: channel, target: "to")
        try await PolicyStore.recordInbound(
            recipientIndex: tx.resource.crypto.blindIndex(recipient, kind: channel.recipientKind), channel: channel, sender: sender,
            at: tx.now, resource: tx.resource, in: tx.db)
    }

    // MARK: Content rules

    public struct ContentRuleView: Sendable, Encodable {
        public let id: String
        public let kind: ContentRule.Kind
        public let category: String
        public let description: String
        public let patterns: [String]
        public let urlDomains: [String]
        public let origin: ContentRuleOrigin
        public let enabled: Bool
    }

    /// Every rule, in force or disabled.
    public func contentRules(in resource: ResourceHandle) async throws -> [ContentRuleView] {
        let rules = self.rules
        return try await resource.store.read { db in
            try await rules.effectiveRules(for: resource, in: db, includingDisabled: true).map {
                ContentRuleView(
                    id: $0.rule.id, kind: $0.rule.kind, category: $0.rule.category, description: $0.rule.description, patterns: $0.rule.patterns,
                    urlDomains: $0.rule.urlDomains, origin: $0.origin, enabled: $0.enabled)
            }
        }
    }

    /// Adds or replaces a rule of the resource's own (a default rule's id replaces it), or, with no patterns and no
    /// domains, enables or disables a default rule as it is.
    @discardableResult
    public func putContentRule(_ rule: ContentRule?, id: String, enabled: Bool, in resource: ResourceHandle) async throws -> ContentRuleView {
        if let rule {
            do { try rule.validate() } catch .invalid(let field, let reason) { throw PolicyError.invalid(reason, target: field) }
        } else {
            guard rules.defaults.contains(where: { $0.id == id }) else {
                throw PolicyError.invalid("A new rule needs patterns or urlDomains.", target: "patterns")
            }
        }
        try await changes.run(in: resource) { tx in
            try await PolicyStore.saveContentRule(id: id, rule: rule, disabled: !enabled, now: tx.now, resource: resource, in: tx.db)
        }
        guard let view = try await contentRules(in: resource).first(where: { $0.id == id }) else { throw PolicyError.ruleNotFound(id) }
        return view
    }

    /// Removes a rule of the resource's own; a default rule is disabled instead.
    public func deleteContentRule(_ id: String, in resource: ResourceHandle) async throws {
        let isDefault = rules.defaults.contains { $0.id == id }
        try await changes.run(in: resource) { tx in
            let existed = try await PolicyStore.deleteContentRule(id, resource: resource, in: tx.db)
            if isDefault {
                try await PolicyStore.saveContentRule(id: id, rule: nil, disabled: true, now: tx.now, resource: resource, in: tx.db)
            } else if !existed {
                throw PolicyError.ruleNotFound(id)
            }
        }
    }

    // MARK: The gate

    /// The gate's decision for every recipient, without sending or recording anything (the dry run).
    public func evaluate(_ message: PolicyMessage, in resource: ResourceHandle) async throws -> [PolicyDecision] {
        let recipients = try Self.recipients(of: message)
        let gate = self.gate
        let now = clock.now
        return try await resource.store.read { db in
            let tx = Transaction(db: db, resource: resource, now: now, effects: CommitEffects())
            let settings = try await PolicyStore.settings(resource: resource, in: db)
            return try await gate.decide(message, recipients: recipients, settings: settings, now: now, in: tx)
        }
    }

    /// Decides for every recipient of a message about to be queued, and records the decisions, in the channel's
    /// transaction: what is allowed (``PolicyDecision/allowed``) may be queued in it.
    ///
    /// - Parameter operation: the send it belongs to (a message id), kept with the decisions.
    public func decide(_ message: PolicyMessage, operation: String?, in tx: Transaction) async throws -> [PolicyDecision] {
        let recipients = try Self.recipients(of: message)
        let settings = try await PolicyStore.settings(resource: tx.resource, in: tx.db)
        let decisions = try await gate.decide(message, recipients: recipients, settings: settings, now: tx.now, in: tx)
        try await PolicyStore.record(
            decisions, channel: message.channel, sender: message.from, operation: operation, now: tx.now, resource: tx.resource, in: tx.db)
        return decisions
    }

    static func recipients(of message: PolicyMessage) throws(PolicyError) -> [String] {
        guard (1...100).contains(message.to.count) else { throw .invalid("to must list 1-100 recipients.", target: "to") }
        var recipients: [String] = []
        for (index, text) in message.to.enumerated() {
            recipients.append(try MessagingAddress.recipient(text, channel: message.channel, target: "to[\(index)]"))
        }
        return recipients
    }

    static func newToken() -> String {
        Base64URL.encode(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
    }
}
