import Foundation

/// A capability of a number for calls or for SMS, as ACS names it.
public enum NumberCapabilityValue: String, Sendable, Codable, CaseIterable {
    case none
    case inbound
    case outbound
    case inboundOutbound = "inbound+outbound"

    public var sendsOutbound: Bool { self == .outbound || self == .inboundOutbound }
    public var receivesInbound: Bool { self == .inbound || self == .inboundOutbound }
}

/// Who a number is for: an application (SMS, bots) or a person (calls).
public enum NumberAssignmentType: String, Sendable, Codable, CaseIterable {
    case person
    case application
}

/// `{"calling","sms"}`.
public struct NumberCapabilities: Sendable, Codable, Equatable {
    public var calling: NumberCapabilityValue
    public var sms: NumberCapabilityValue

    public init(calling: NumberCapabilityValue, sms: NumberCapabilityValue) {
        self.calling = calling
        self.sms = sms
    }
}

/// `{"amount","currencyCode","billingFrequency":"monthly"}`.
public struct NumberCost: Sendable, Codable, Equatable {
    public var amount: Decimal
    public var currencyCode: String
    public var billingFrequency: String = "monthly"
}

/// A number a resource holds (`PurchasedPhoneNumber`).
public struct PurchasedPhoneNumber: Sendable, Codable, Equatable {
    /// The number's digits without `+`, as ACS identifies a purchased number.
    public var id: String
    public var phoneNumber: String
    public var countryCode: String
    public var phoneNumberType: PhoneNumberType
    public var capabilities: NumberCapabilities
    public var assignmentType: NumberAssignmentType
    public var purchaseDate: Date
    public var cost: NumberCost
}

/// The state of a number offered by a browse or held by a reservation.
public enum AvailableNumberStatus: String, Sendable, Codable {
    case available, reserved, expired, error, purchased
}

/// A number offered (`AvailablePhoneNumber`): its id is its digits, stable across browses and reservations.
public struct AvailablePhoneNumber: Sendable, Codable, Equatable {
    public struct Failure: Sendable, Codable, Equatable {
        public var code: String
        public var message: String
    }

    public var id: String
    public var countryCode: String
    public var phoneNumber: String
    public var capabilities: NumberCapabilities
    public var phoneNumberType: PhoneNumberType
    public var assignmentType: NumberAssignmentType
    public var cost: NumberCost
    public var status: AvailableNumberStatus
    public var isAgreementToNotResellRequired: Bool
    public var error: Failure?
}

/// The result of a search (`PhoneNumberSearchResult`).
public struct NumberSearchResult: Sendable, Codable, Equatable {
    public var searchId: String
    public var phoneNumbers: [String]
    public var phoneNumberType: PhoneNumberType
    public var assignmentType: NumberAssignmentType
    public var capabilities: NumberCapabilities
    public var cost: NumberCost
    public var searchExpiresBy: Date
    public var isAgreementToNotResellRequired: Bool
    /// The country searched (not on the wire; the purchase needs it).
    public var countryCode: String
    /// Whether the numbers were bought (not on the wire).
    public var purchased: Bool

    enum CodingKeys: String, CodingKey {
        case searchId, phoneNumbers, phoneNumberType, assignmentType, capabilities, cost, searchExpiresBy,
            isAgreementToNotResellRequired
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        searchId = try container.decode(String.self, forKey: .searchId)
        phoneNumbers = try container.decode([String].self, forKey: .phoneNumbers)
        phoneNumberType = try container.decode(PhoneNumberType.self, forKey: .phoneNumberType)
        assignmentType = try container.decode(NumberAssignmentType.self, forKey: .assignmentType)
        capabilities = try container.decode(NumberCapabilities.self, forKey: .capabilities)
        cost = try container.decode(NumberCost.self, forKey: .cost)
        searchExpiresBy = try container.decode(Date.self, forKey: .searchExpiresBy)
        isAgreementToNotResellRequired = try container.decode(Bool.self, forKey: .isAgreementToNotResellRequired)
        countryCode = ""
        purchased = false
    }

    init(
        searchId: String, phoneNumbers: [String], phoneNumberType: PhoneNumberType, assignmentType: NumberAssignmentType,
        capabilities: NumberCapabilities, cost: NumberCost, searchExpiresBy: Date, countryCode: String, purchased: Bool = false
    ) {
        self.searchId = searchId
        self.phoneNumbers = phoneNumbers
        self.phoneNumberType = phoneNumberType
        self.assignmentType = assignmentType
        self.capabilities = capabilities
        self.cost = cost
        self.searchExpiresBy = searchExpiresBy
        self.isAgreementToNotResellRequired = false
        self.countryCode = countryCode
        self.purchased = purchased
    }
}

/// A reservation of offered numbers (`PhoneNumbersReservation`).
public struct NumberReservation: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        case active, submitted, completed, expired
    }

    public var id: String
    public var expiresAt: Date
    public var phoneNumbers: [String: AvailablePhoneNumber]
    public var status: Status
}

/// A long-running operation of the Phone Numbers API (`PhoneNumberOperation`). Switchboard finishes the work
/// before it answers, so an operation is already `succeeded` or `failed` when it is first read.
public struct NumberOperation: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case purchase, releasePhoneNumber, search, updatePhoneNumberCapabilities, reservationPurchase

        /// The prefix of its id, as ACS spells operation ids (`search_…`, `capabilities_…`).
        var idPrefix: String {
            switch self {
            case .purchase: "purchase"
            case .releasePhoneNumber: "release"
            case .search: "search"
            case .updatePhoneNumberCapabilities: "capabilities"
            case .reservationPurchase: "reservationPurchase"
            }
        }
    }

    public enum Status: String, Sendable, Codable {
        case notStarted, running, succeeded, failed
    }

    public struct Failure: Sendable, Codable, Equatable {
        public var code: String
        public var message: String
    }

    public var id: String
    public var operationType: Kind
    public var status: Status
    public var resourceLocation: String?
    public var createdDateTime: Date
    public var lastActionDateTime: Date?
    public var error: Failure?
}
