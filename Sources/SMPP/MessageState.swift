/// The state of a short message (SMPP v3.4 §5.2.28), as carried by the message_state TLV and,
/// as a 7-letter word, by the `stat:` field of an Appendix B delivery receipt.
public enum MessageState: UInt8, Hashable, Sendable, CaseIterable {
    case enroute = 1
    case delivered = 2
    case expired = 3
    case deleted = 4
    case undeliverable = 5
    case accepted = 6
    case unknown = 7
    case rejected = 8

    /// The receipt text word (`DELIVRD`, `UNDELIV`, …) used in Appendix B receipts.
    public var receiptWord: String {
        switch self {
        case .enroute: "ENROUTE"
        case .delivered: "DELIVRD"
        case .expired: "EXPIRED"
        case .deleted: "DELETED"
        case .undeliverable: "UNDELIV"
        case .accepted: "ACCEPTD"
        case .unknown: "UNKNOWN"
        case .rejected: "REJECTD"
        }
    }

    /// Parses a receipt `stat:` word, tolerating case and the spelled-out variants some SMSCs send
    /// (`DELIVERED`, `UNDELIVERABLE`, `REJECTED`, …).
    public init?(receiptWord: String) {
        let word = receiptWord.uppercased()
        switch word {
        case "ENROUTE", "EN_ROUTE": self = .enroute
        case "DELIVRD", "DELIVERED", "DELIVER", "DELIVRED": self = .delivered
        case "EXPIRED", "EXPIRD": self = .expired
        case "DELETED", "DELETD": self = .deleted
        case "UNDELIV", "UNDELIVERABLE", "UNDELIVERED", "UNDELIVR", "FAILED": self = .undeliverable
        case "ACCEPTD", "ACCEPTED": self = .accepted
        case "UNKNOWN", "UNKNWN": self = .unknown
        case "REJECTD", "REJECTED", "REJECT": self = .rejected
        default: return nil
        }
    }

    /// Final states will not change again. ENROUTE may be followed by another receipt, and so may
    /// ACCEPTD in practice: although §5.2.28 lists it among the final states, many SMSCs send it
    /// as an intermediate "accepted by the network" notification, so treating it as final would
    /// freeze messages before their real outcome arrives.
    public var isFinal: Bool {
        switch self {
        case .enroute, .accepted: false
        default: true
        }
    }
}
