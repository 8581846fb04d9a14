import Foundation

/// An address with its display name, as the ACS Email API writes them.
public struct EmailAddressValue: Codable, Sendable, Equatable {
    public var address: String
    public var displayName: String?

    public init(address: String, displayName: String? = nil) {
        self.address = address
        self.displayName = displayName
    }
}

/// What a send says, kept sealed while it is being delivered and erased once every recipient reached a final
/// state. Each recipient's copy is rendered and DKIM-signed from it when it goes out.
struct EmailContent: Codable, Sendable {
    struct Attachment: Codable, Sendable {
        let name: String
        let contentType: String
        let data: Data
        let contentId: String?
    }

    let sender: EmailAddressValue
    let to: [EmailAddressValue]
    let cc: [EmailAddressValue]
    let replyTo: [EmailAddressValue]
    let subject: String
    let plainText: String?
    let html: String?
    let attachments: [Attachment]
    /// The caller's custom headers, in order.
    let headers: [[String]]
    let trackingDisabled: Bool
    /// The program the sender belongs to (unsubscribe links name it).
    let programID: String
    /// The server's address as the sending application reached it (`https://host:port`), for the links in the message.
    let linkBase: String
}

/// What the last verification of a domain found, record by record.
public struct EmailDomainVerification: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case notStarted = "NotStarted", verified = "Verified", failed = "Failed"
    }

    public struct State: Codable, Sendable, Equatable {
        public var status: Status
        /// The values found at the record's name (TXT strings joined).
        public var found: [String]
        /// Why it failed, in words.
        public var reason: String?
        public var checkedAt: Date?
    }

    public var domain: State
    public var spf: State
    public var dkim: [String: State]
    public var dmarc: State

    static let notStarted = State(status: .notStarted, found: [], reason: nil, checkedAt: nil)
}

/// One DNS record to publish.
public struct EmailDNSRecord: Codable, Sendable, Equatable {
    public let type: String
    public let name: String
    public let value: String
    public let ttl: Int
}

/// A domain as the API shows it: its records to publish and what verification found.
public struct EmailDomainView: Encodable, Sendable {
    public struct States: Encodable, Sendable {
        let domain: EmailDomainVerification.State
        let spf: EmailDomainVerification.State
        let dkim: [String: EmailDomainVerification.State]
        let dmarc: EmailDomainVerification.State
    }

    public struct Records: Encodable, Sendable {
        let domain: EmailDNSRecord?
        let spf: EmailDNSRecord?
        let dkim: [EmailDNSRecord]
        let dmarc: EmailDNSRecord?
    }

    let domain: String
    let kind: String
    /// `Verified` (can send), `NotStarted` or `Failed`.
    let status: String
    let canSend: Bool
    let sandboxOnly: Bool
    let dkimSelector: String
    let verificationRecords: Records
    let verificationStates: States
    let createdAt: Date
    let lastVerifiedAt: Date?
}

public struct EmailSenderView: Encodable, Sendable {
    let username: String
    let displayName: String
    let address: String
    let createdAt: Date
}

public struct EmailSuppressionView: Encodable, Sendable {
    let address: String
    let reason: String
    let createdAt: Date
}

/// The long-running operation of a send, as ACS answers it.
public struct EmailOperationView: Encodable, Sendable {
    public struct ErrorDetail: Encodable, Sendable {
        let code: String
        let message: String
    }

    let id: String
    let status: String
    let error: ErrorDetail?
}
