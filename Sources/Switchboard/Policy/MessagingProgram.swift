import Foundation

/// A messaging program (the messaging policy's "campaign"): what a sender's messages are for, and what its
/// recipients agreed to. A message's program is its sender's, so the ACS wire format carries it without a field;
/// senders in no program belong to the resource's implicit ``defaultID`` program.
public struct MessagingProgram: Sendable, Equatable, Codable {
    public enum Purpose: String, Sendable, Codable, CaseIterable {
        /// Appointment reminders, alerts: written or oral consent.
        case informational
        /// Sales and marketing: written consent only.
        case promotional
    }

    public enum Category: String, Sendable, Codable, CaseIterable {
        case general
        // Double opt-in is required for these, "due to their frequent use in phishing schemes or their tendency to
        // result in consumer complaints".
        case autoWarranty, shortTermHealthInsurance, debtRefinancing, leadGeneration, sweepstakes, workFromHome
        // Implied consent: messages of these services may be sent without prior consent, if they solicit nothing.
        case packageDelivery, fraudAlert, healthcareTreatment

        /// The policy requires double opt-in for the program.
        public var requiresDoubleOptIn: Bool {
            switch self {
            case .autoWarranty, .shortTermHealthInsurance, .debtRefinancing, .leadGeneration, .sweepstakes, .workFromHome: true
            default: false
            }
        }

        /// Consent to the program's messages is implied ("Exemptions for specific services").
        public var isExempt: Bool { self == .packageDelivery || self == .fraudAlert || self == .healthcareTreatment }
    }

    public static let defaultID = "default"

    public var id: String
    public var name: String
    public var description: String?
    public var purpose: Purpose
    public var category: Category
    /// Sender numbers, alphanumeric ids, addresses and WhatsApp channel ids, as written.
    public var senders: [String]
    public var frequency: String?
    public var fees: String?
    public var helpText: String?
    public var termsUrl: String?
    public var privacyUrl: String?
    /// Its messages need a recipient whose age was verified at opt-in.
    public var ageGated: Bool
    public var doubleOptIn: Bool
    /// The affiliate consent is collected for, when it is collected for a third party.
    public var thirdParty: String?
    public var createdOn: Date?
    public var lastUpdatedOn: Date?

    /// The implicit program of senders in no other: informational, general, single opt-in.
    public static func implicitDefault() -> MessagingProgram {
        MessagingProgram(
            id: defaultID, name: "Default program", description: "Messages from senders that belong to no other program.",
            purpose: .informational, category: .general, senders: [], ageGated: false, doubleOptIn: false)
    }

    public init(
        id: String, name: String, description: String? = nil, purpose: Purpose = .informational, category: Category = .general,
        senders: [String] = [], frequency: String? = nil, fees: String? = nil, helpText: String? = nil, termsUrl: String? = nil,
        privacyUrl: String? = nil, ageGated: Bool = false, doubleOptIn: Bool = false, thirdParty: String? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.purpose = purpose
        self.category = category
        self.senders = senders
        self.frequency = frequency
        self.fees = fees
        self.helpText = helpText
        self.termsUrl = termsUrl
        self.privacyUrl = privacyUrl
        self.ageGated = ageGated
        self.doubleOptIn = doubleOptIn
        self.thirdParty = thirdParty
    }

    /// The parsed senders.
    var parsedSenders: [MessagingSender] { senders.compactMap(MessagingSender.init(parsing:)) }

    /// The first sender of `channel`: where its double opt-in confirmation comes from.
    func sender(for channel: MessagingChannel) -> MessagingSender? {
        parsedSenders.first { $0.channel == channel }
    }

    /// Checks the program as the policy requires and puts it in canonical form: senders parsed and de-duplicated,
    /// double opt-in forced on where the category requires it. Throws naming the first field at fault.
    public mutating func validate() throws(PolicyError) {
        guard Self.isValidID(id) else {
            throw .invalid("programId must be 1-64 letters, digits, '-' or '_'.", target: "programId")
        }
        name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(name.count) else { throw .invalid("name must be 1-100 characters.", target: "name") }
        for (field, value, limit) in [
            ("description", description, 1000), ("frequency", frequency, 200), ("fees", fees, 200), ("helpText", helpText, 500),
            ("thirdParty", thirdParty, 200),
        ] {
            if let value, value.count > limit { throw .invalid("\(field) must be at most \(limit) characters.", target: field) }
        }
        for (field, value) in [("termsUrl", termsUrl), ("privacyUrl", privacyUrl)] {
            guard let value else { continue }
            guard let url = URL(string: value), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw .invalid("\(field) must be an absolute http or https URL.", target: field)
            }
        }
        guard senders.count <= 100 else { throw .invalid("A program has at most 100 senders.", target: "senders") }
        var seen = Set<String>()
        var canonical: [String] = []
        for (index, text) in senders.enumerated() {
            guard let sender = MessagingSender(parsing: text) else {
                throw .invalid(
                    "senders[\(index)] must be an E.164 number, an alphanumeric sender id, a sender address or a WhatsApp channel id.",
                    target: "senders[\(index)]")
            }
            if seen.insert(sender.key).inserted { canonical.append(sender.value) }
        }
        senders = canonical
        if category.isExempt, purpose == .promotional {
            throw .invalid(
                "A \(category.rawValue) program is exempt from prior consent only because it solicits nothing; it cannot be promotional.",
                target: "purpose")
        }
        if id == Self.defaultID {
            guard senders.isEmpty else {
                throw .invalid("The default program holds every sender in no other program; it lists none itself.", target: "senders")
            }
            guard purpose == .informational, category == .general else {
                throw .invalid("The default program is informational and general.", target: "purpose")
            }
        }
        if category.requiresDoubleOptIn { doubleOptIn = true }
        if doubleOptIn {
            // What the confirmation message must carry: identity, description, frequency, fees and help; the STOP
            // instruction and the recurring-program notice Switchboard adds itself.
            for (field, value) in [("description", description), ("frequency", frequency), ("fees", fees), ("helpText", helpText)]
            where (value ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw .incompleteConfirmation(field: field)
            }
        }
    }

    static func isValidID(_ id: String) -> Bool {
        (1...64).contains(id.count) && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
