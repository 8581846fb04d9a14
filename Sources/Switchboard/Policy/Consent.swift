import Foundation

/// Consent of one recipient, on one channel, to one program's messages: the policy's "prior express consent",
/// with the evidence it keeps of it ("Accurate records of consent").
public struct Consent: Sendable, Encodable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case written
        case oral
    }

    public enum State: String, Sendable, Codable {
        /// The program may message the recipient.
        case active
        /// Double opt-in: recorded, but sends wait until the recipient confirms.
        case awaitingConfirmation
        /// The recipient opted out; only renewed consent lets the program send again.
        case revoked
        /// The person was erased: only the minimal proof of the consent is kept.
        case minimised
    }

    /// What the consent was given through and what the person saw.
    public struct Evidence: Sendable, Codable, Equatable {
        public var capturedOn: Date?
        /// Web form, keyword, paper, voice, app, in person, …
        public var medium: String
        public var campaign: String?
        public var ipAddress: String?
        public var sessionId: String?
        public var userAgent: String?
        public var screenshotRef: String?
        /// The text the person agreed to.
        public var callToAction: String?
        public var ageVerified: Bool?

        public init(
            capturedOn: Date? = nil, medium: String, campaign: String? = nil, ipAddress: String? = nil, sessionId: String? = nil,
            userAgent: String? = nil, screenshotRef: String? = nil, callToAction: String? = nil, ageVerified: Bool? = nil
        ) {
            self.capturedOn = capturedOn
            self.medium = medium
            self.campaign = campaign
            self.ipAddress = ipAddress
            self.sessionId = sessionId
            self.userAgent = userAgent
            self.screenshotRef = screenshotRef
            self.callToAction = callToAction
            self.ageVerified = ageVerified
        }

        func validate() throws(PolicyError) {
            let medium = medium.trimmingCharacters(in: .whitespaces)
            guard (1...64).contains(medium.count) else {
                throw .invalid(
                    "evidence.medium must be 1-64 characters (webForm, keyword, paper, voice, app, inPerson, …).",
                    target: "evidence.medium")
            }
            for (field, value, limit) in [
                ("campaign", campaign, 200), ("ipAddress", ipAddress, 64), ("sessionId", sessionId, 200), ("userAgent", userAgent, 1000),
                ("screenshotRef", screenshotRef, 2000), ("callToAction", callToAction, 4000),
            ] {
                if let value, value.count > limit {
                    throw .invalid("evidence.\(field) must be at most \(limit) characters.", target: "evidence.\(field)")
                }
            }
        }
    }

    /// One entry of the append-only history.
    public struct Entry: Sendable, Encodable {
        public enum Action: String, Sendable, Codable {
            case granted, confirmed, revoked, renewed, minimised
        }
        public let action: Action
        public let at: Date
        public let kind: Kind?
        /// What the opt-out or the confirmation came through (a keyword, a link, the API, …).
        public let source: String?
        /// For grants and renewals: the evidence, or after an erasure only its medium and time.
        public let evidence: Evidence?
    }

    public let id: String
    /// `nil` once minimised: only its keyed hash is kept.
    public let recipient: String?
    public let channel: MessagingChannel
    public let programId: String
    public let kind: Kind
    public let state: State
    public let thirdParty: String?
    public let ageVerified: Bool
    public let createdOn: Date
    public let lastChangedOn: Date
    public let history: [Entry]
}

/// An opt-out received by any means: it covers its program (or every program) on its channel (or every channel),
/// on all of the program's senders, until consent is renewed.
public struct OptOut: Sendable, Encodable {
    public let id: String
    /// `nil` once the person was erased: the opt-out itself stays in force, found by its keyed hash.
    public let recipient: String?
    public let channel: MessagingChannel?
    public let programId: String?
    public let source: String
    public let recordedOn: Date
}
