import Foundation
import SQLKit

/// Whether a resource's policy refuses what it would refuse, or only records it.
public enum PolicyMode: String, Sendable, Codable, CaseIterable {
    /// Refused messages are not sent.
    case enforce
    /// Everything is sent; the decision production would make is recorded (the development resource).
    case audit
}

/// A resource's policy settings. Set by the operator (`switchboard resource update`), never through the API: the
/// application's own key cannot turn its enforcement off.
public struct PolicySettings: Sendable, Equatable {
    public var mode: PolicyMode = .enforce
    /// How long after a recipient wrote to a sender the sender may answer them without prior consent.
    public var conversationWindow: Duration = .seconds(86_400)

    public init(mode: PolicyMode = .enforce, conversationWindow: Duration = .seconds(86_400)) {
        self.mode = mode
        self.conversationWindow = conversationWindow
    }

    public static let conversationWindowRange: ClosedRange<Int64> = 3600...(7 * 86_400)
}

/// The stable codes of the gate's refusals (documented in the README).
public enum PolicyCode: String, Sendable, Codable, CaseIterable {
    /// The sender is not one the resource owns or registered (spoofing).
    case senderNotAuthorized = "SenderNotAuthorized"
    /// The content is prohibited regardless of consent.
    case prohibitedContent = "ProhibitedContent"
    /// Age-restricted content from a program that is not age-gated, or to a recipient whose age was not verified.
    case ageGateRequired = "AgeGateRequired"
    /// The recipient opted out of the program (or of every program) on this channel.
    case recipientOptedOut = "RecipientOptedOut"
    /// No consent for this recipient, channel and program, and none implied.
    case consentRequired = "ConsentRequired"
    /// A promotional program needs written consent; the consent on record is oral.
    case writtenConsentRequired = "WrittenConsentRequired"
    /// Double opt-in: the recipient has not confirmed yet.
    case doubleOptInPending = "DoubleOptInPending"
    /// An exempt-category message (relying on implied consent) carries a solicitation.
    case solicitationNotAllowed = "SolicitationNotAllowed"
}

/// One message the gate decides on: a sender, recipients and what it says.
public struct PolicyMessage: Sendable {
    public var channel: MessagingChannel
    public var from: String
    public var to: [String]
    public var subject: String?
    public var text: String?
    public var html: String?

    public init(channel: MessagingChannel, from: String, to: [String], subject: String? = nil, text: String? = nil, html: String? = nil) {
        self.channel = channel
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// What the content rules read: the subject, the text, and the HTML's text and link targets.
    var searchableText: String {
        var parts = [subject, text].compactMap { $0 }
        if let html { parts.append(PolicyMessage.textAndLinks(ofHTML: html)) }
        return parts.joined(separator: "\n")
    }

    /// The text of an HTML body with its tags removed, followed by the targets of its links (a link's text and its
    /// target may differ).
    static func textAndLinks(ofHTML html: String) -> String {
        var text = ""
        var links: [String] = []
        var tag = ""
        var inTag = false
        for character in html {
            if inTag {
                if character == ">" {
                    inTag = false
                    if let link = attribute("href", in: tag) ?? attribute("src", in: tag) { links.append(link) }
                    tag = ""
                    text.append(" ")
                } else {
                    tag.append(character)
                }
            } else if character == "<" {
                inTag = true
            } else {
                text.append(character)
            }
        }
        let decoded = text.replacingOccurrences(of: "&nbsp;", with: " ").replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        return ([decoded] + links).joined(separator: "\n")
    }

    private static func attribute(_ name: String, in tag: String) -> String? {
        let lower = tag.lowercased()
        guard let range = lower.range(of: "\(name)=") else { return nil }
        var value = tag[range.upperBound...]
        guard let quote = value.first else { return nil }
        if quote == "\"" || quote == "'" {
            value = value.dropFirst()
            return value.firstIndex(of: quote).map { String(value[..<$0]) }
        }
        return String(value.prefix { !$0.isWhitespace })
    }
}

/// The gate's answer for one recipient: accepted, or refused with a stable code, and always the rule that decided
/// and a reason a person can read. In audit mode a refusal is recorded but the message is sent.
public struct PolicyDecision: Sendable, Encodable {
    public let id: String
    /// The recipient in canonical form.
    public let recipient: String
    public let programId: String?
    /// `nil` when accepted.
    public let code: PolicyCode?
    /// The rule that decided: `consent.written`, `impliedConsent.exemptCategory`, a content rule's id, …
    public let rule: String
    public let reason: String
    public let mode: PolicyMode

    /// Whether the message may go to this recipient: accepted, or refused in audit mode.
    public var allowed: Bool { code == nil || mode == .audit }
}

/// Who owns a sender, as a channel knows it: the numbers a resource holds with SMS capability and its registered
/// alphanumeric ids (SMS), its verified domains' sender usernames (email), its registered channels (WhatsApp).
/// Channels contribute one through ``Capability/senderAuthorities``; the gate asks it first.
public protocol SenderAuthority: Sendable {
    var channel: MessagingChannel { get }
    /// Whether `sender` is the resource's to send from, read in the caller's transaction.
    func owns(_ sender: MessagingSender, resource: ResourceHandle, in db: any SQLDatabase) async throws -> Bool
}

/// The one decision point every SMS, email and WhatsApp message passes before anything is queued.
///
/// Checks, in order, and stops at the first that refuses: the sender (spoofing) → content rules → age gate →
/// opt-out → consent (written for promotional programs) → double opt-in confirmed → otherwise implied consent: a
/// recipient-initiated conversation within the window, or an exempt category whose content solicits nothing.
public struct PolicyGate: Sendable {
    let authorities: [MessagingChannel: any SenderAuthority]
    let rules: ContentRuleCache

    init(authorities: [any SenderAuthority], rules: ContentRuleCache) {
        self.authorities = Dictionary(authorities.map { ($0.channel, $0) }, uniquingKeysWith: { first, _ in first })
        self.rules = rules
    }

    /// The message's sender and program as the gate sees them, or the refusal of every recipient.
    struct Origin: Sendable {
        let sender: MessagingSender?
        let program: MessagingProgram?
        let refusal: (rule: String, reason: String)?
    }

    /// Decides for every recipient of `message`, in the caller's transaction, without recording anything.
    /// Recipients must already be in canonical form (``MessagingAddress/recipient(_:channel:target:)``).
    func decide(_ message: PolicyMessage, recipients: [String], settings: PolicySettings, now: Timestamp, in tx: Transaction) async throws
        -> [PolicyDecision]
    {
        let resource = tx.resource
        let db = tx.db
        let origin = try await origin(of: message, in: tx)
        let ruleSet = try await rules.ruleSet(for: resource, in: db)
        let text = message.searchableText
        let matches = ruleSet.matches(text)
        let prohibited = matches.first { $0.kind == .prohibited }
        let restricted = matches.first { $0.kind == .ageRestricted }
        let solicitation = matches.first { $0.kind == .solicitation }

        let indexes = recipients.map { resource.crypto.blindIndex($0, kind: message.channel.recipientKind) }
        let facts =
            if let sender = origin.sender, let program = origin.program, prohibited == nil {
                try await PolicyStore.facts(
                    about: indexes, channel: message.channel, program: program.id, sender: sender, resource: resource, in: db)
            } else {
                PolicyStore.RecipientFacts()
            }
        var decisions: [PolicyDecision] = []
        for (recipient, index) in zip(recipients, indexes) {
            func decision(_ code: PolicyCode?, _ rule: String, _ reason: String) -> PolicyDecision {
                PolicyDecision(
                    id: UUID().uuidString.lowercased(), recipient: recipient, programId: origin.program?.id, code: code, rule: rule,
                    reason: reason, mode: settings.mode)
            }
            guard let sender = origin.sender, let program = origin.program else {
                decisions.append(decision(.senderNotAuthorized, origin.refusal?.rule ?? "sender", origin.refusal?.reason ?? "Unknown sender."))
                continue
            }
            if let prohibited {
                decisions.append(
                    decision(
                        .prohibitedContent, prohibited.ruleID,
                        "The content matches '\(prohibited.matched)' (\(prohibited.description)); it is prohibited regardless of consent."))
                continue
            }
            let consent = facts.consents[index]
            if let restricted, !program.ageGated {
                decisions.append(
                    decision(
                        .ageGateRequired, restricted.ruleID,
                        "The content matches '\(restricted.matched)' (\(restricted.description)); age-restricted content needs an "
                            + "age-gated program, and '\(program.id)' is not."))
                continue
            }
            if program.ageGated, consent?.ageVerified != true {
                decisions.append(
                    decision(
                        .ageGateRequired, "ageGate.notVerified",
                        "The program '\(program.id)' is age-gated and no consent on record verified the recipient's age."))
                continue
            }
            if let (optOut, recordedAt) = facts.optOuts[index], consent.map({ $0.grantedAt <= recordedAt }) ?? true {
                let scope = optOut.programId.map { "the program '\($0)'" } ?? "every program"
                decisions.append(
                    decision(
                        .recipientOptedOut, "optOut",
                        "The recipient opted out of \(scope) (\(optOut.source), \(APIDate.format(optOut.recordedOn))); only renewed "
                            + "consent lets the program send again."))
                continue
            }
            // Explicit consent.
            var refusal: (PolicyCode, String, String)?
            if let consent, consent.state == .active || consent.state == .awaitingConfirmation {
                if program.purpose == .promotional, consent.kind != .written {
                    refusal = (
                        .writtenConsentRequired, "consent.writtenForPromotional",
                        "The program '\(program.id)' is promotional: its consent must be written, and the consent on record is oral."
                    )
                } else if consent.state == .awaitingConfirmation || (program.doubleOptIn && consent.state != .active) {
                    refusal = (
                        .doubleOptInPending, "doubleOptIn.pending",
                        "The program '\(program.id)' needs double opt-in and the recipient has not confirmed yet."
                    )
                } else {
                    decisions.append(
                        decision(nil, "consent.\(consent.kind.rawValue)", "\(consent.kind.rawValue.capitalized) consent on record."))
                    continue
                }
            }
            // Implied consent: the recipient started the conversation with this sender, within the window.
            if let last = facts.lastInbound[index], now.duration(since: last) <= settings.conversationWindow {
                decisions.append(
                    decision(
                        nil, "impliedConsent.recipientInitiated",
                        "The recipient wrote to \(sender.value) \(Self.describe(now.duration(since: last))) ago; a reply within the "
                            + "conversation needs no prior consent."))
                continue
            }
            if refusal == nil, program.category.isExempt {
                if let solicitation {
                    decisions.append(
                        decision(
                            .solicitationNotAllowed, solicitation.ruleID,
                            "A \(program.category.rawValue) message may be sent without prior consent only if it solicits nothing; "
                                + "it matches '\(solicitation.matched)' (\(solicitation.description))."))
                } else {
                    decisions.append(
                        decision(
                            nil, "impliedConsent.exemptCategory",
                            "\(program.category.rawValue) messages carry implied consent when they solicit nothing."))
                }
                continue
            }
            if let (code, rule, reason) = refusal {
                decisions.append(decision(code, rule, reason))
                continue
            }
            let other =
                facts.consentedElsewhere.contains(index)
                ? " Consent is not transferable: the recipient's consent to another program does not count." : ""
            decisions.append(
                decision(
                    .consentRequired, "consent.missing",
                    "No consent on record for this recipient on \(message.channel.rawValue) for the program '\(program.id)'.\(other)"))
        }
        return decisions
    }

    /// The sender and its program. A channel that knows who owns senders is asked; for a channel that is not
    /// configured on this server, a sender counts as registered when a program lists it.
    func origin(of message: PolicyMessage, in tx: Transaction) async throws -> Origin {
        guard let sender = MessagingSender(parsing: message.from), sender.channel == message.channel else {
            return Origin(
                sender: nil, program: nil,
                refusal: ("sender.invalid", "'\(message.from)' is not a \(message.channel.rawValue) sender."))
        }
        let programID = try await PolicyStore.programID(ofSender: sender, resource: tx.resource, in: tx.db)
        if let authority = authorities[message.channel] {
            guard try await authority.owns(sender, resource: tx.resource, in: tx.db) else {
                return Origin(
                    sender: nil, program: nil,
                    refusal: ("sender.notOwned", "The resource does not own \(sender.value) for \(message.channel.rawValue)."))
            }
        } else if programID == nil {
            return Origin(
                sender: nil, program: nil,
                refusal: ("sender.notRegistered", "\(sender.value) is not registered as a sender of any of the resource's programs."))
        }
        let id = programID ?? MessagingProgram.defaultID
        let program = try await PolicyStore.program(id, resource: tx.resource, in: tx.db) ?? .implicitDefault()
        return Origin(sender: sender, program: program, refusal: nil)
    }

    static func describe(_ duration: Duration) -> String {
        let minutes = duration.components.seconds / 60
        return minutes < 60 ? "\(minutes) min" : "\(minutes / 60) h \(minutes % 60) min"
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
