/// The tag of an optional parameter (SMPP v3.4 §5.3.2).
///
/// Open struct so that vendor tags (0x1400–0x3FFF) and tags this library does not interpret are
/// preserved on decode and re-encoded byte-for-byte.
public struct TLVTag: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) {
        self.rawValue = rawValue
    }

    public static let payloadType = TLVTag(rawValue: 0x0019)
    public static let additionalStatusInfoText = TLVTag(rawValue: 0x001D)
    public static let receiptedMessageID = TLVTag(rawValue: 0x001E)
    public static let userMessageReference = TLVTag(rawValue: 0x0204)
    public static let sourcePort = TLVTag(rawValue: 0x020A)
    public static let destinationPort = TLVTag(rawValue: 0x020B)
    public static let sarMessageReference = TLVTag(rawValue: 0x020C)
    public static let sarTotalSegments = TLVTag(rawValue: 0x020E)
    public static let sarSegmentSequence = TLVTag(rawValue: 0x020F)
    public static let scInterfaceVersion = TLVTag(rawValue: 0x0210)
    public static let dpfResult = TLVTag(rawValue: 0x0420)
    public static let setDPF = TLVTag(rawValue: 0x0421)
    public static let msAvailabilityStatus = TLVTag(rawValue: 0x0422)
    public static let networkErrorCode = TLVTag(rawValue: 0x0423)
    public static let messagePayload = TLVTag(rawValue: 0x0424)
    public static let deliveryFailureReason = TLVTag(rawValue: 0x0425)
    public static let moreMessagesToSend = TLVTag(rawValue: 0x0426)
    public static let messageState = TLVTag(rawValue: 0x0427)

    public var description: String {
        "0x" + String(rawValue, radix: 16, uppercase: true)
    }

    /// Lengths the specification fixes for the tags we interpret; a TLV that disagrees is
    /// rejected on decode (ESME_RINVPARLEN) instead of being misread later.
    var allowedLengths: ClosedRange<Int>? {
        switch self {
        case .payloadType, .sarTotalSegments, .sarSegmentSequence, .scInterfaceVersion, .dpfResult, .setDPF,
            .msAvailabilityStatus, .deliveryFailureReason, .moreMessagesToSend, .messageState:
            return 1...1
        case .userMessageReference, .sourcePort, .destinationPort, .sarMessageReference:
            return 2...2
        case .networkErrorCode:
            return 3...3
        case .receiptedMessageID:
            return 1...65
        case .additionalStatusInfoText:
            return 1...256
        default:
            return nil
        }
    }
}

/// One optional parameter: tag, and the value octets (the length is implied by `value.count`).
public struct TLV: Hashable, Sendable {
    public var tag: TLVTag
    public var value: [UInt8]

    public init(tag: TLVTag, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// message_payload: carries the whole message instead of `short_message` (up to 64 K octets).
    public static func messagePayload(_ bytes: [UInt8]) -> TLV {
        TLV(tag: .messagePayload, value: bytes)
    }

    /// receipted_message_id: the SMSC message id a delivery receipt refers to (a C-Octet string).
    public static func receiptedMessageID(_ id: String) -> TLV {
        TLV(tag: .receiptedMessageID, value: Array(id.utf8) + [0])
    }

    /// message_state: final state of the message a receipt refers to.
    public static func messageState(_ state: MessageState) -> TLV {
        TLV(tag: .messageState, value: [state.rawValue])
    }

    /// network_error_code: network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, …) and error code.
    public static func networkErrorCode(networkType: UInt8, errorCode: UInt16) -> TLV {
        TLV(tag: .networkErrorCode, value: [networkType, UInt8(errorCode >> 8), UInt8(errorCode & 0xFF)])
    }

    public static func sarMessageReference(_ reference: UInt16) -> TLV {
        TLV(tag: .sarMessageReference, value: [UInt8(reference >> 8), UInt8(reference & 0xFF)])
    }

    public static func sarTotalSegments(_ total: UInt8) -> TLV {
        TLV(tag: .sarTotalSegments, value: [total])
    }

    public static func sarSegmentSequence(_ sequence: UInt8) -> TLV {
        TLV(tag: .sarSegmentSequence, value: [sequence])
    }

    public static func sourcePort(_ port: UInt16) -> TLV {
        TLV(tag: .sourcePort, value: [UInt8(port >> 8), UInt8(port & 0xFF)])
    }

    public static func destinationPort(_ port: UInt16) -> TLV {
        TLV(tag: .destinationPort, value: [UInt8(port >> 8), UInt8(port & 0xFF)])
    }

    /// sc_interface_version: sent by an SMSC in bind responses to announce its SMPP version.
    public static func scInterfaceVersion(_ version: UInt8) -> TLV {
        TLV(tag: .scInterfaceVersion, value: [version])
    }
}

/// A network_error_code value (§5.3.2.31).
public struct NetworkErrorCode: Hashable, Sendable {
    public var networkType: UInt8
    public var errorCode: UInt16

    public init(networkType: UInt8, errorCode: UInt16) {
        self.networkType = networkType
        self.errorCode = errorCode
    }
}

/// Typed access to the TLVs this library understands; every accessor returns `nil` when the TLV
/// is absent or malformed, so callers never have to re-check lengths.
extension Array where Element == TLV {
    /// The value of the first TLV with `tag`.
    public func value(for tag: TLVTag) -> [UInt8]? {
        first { $0.tag == tag }?.value
    }

    /// Replaces every TLV with `tlv.tag` by `tlv` (appending when absent).
    public mutating func set(_ tlv: TLV) {
        removeAll { $0.tag == tlv.tag }
        append(tlv)
    }

    public var messagePayload: [UInt8]? { value(for: .messagePayload) }

    public var receiptedMessageID: String? {
        guard let bytes = value(for: .receiptedMessageID) else { return nil }
        let text = bytes.prefix { $0 != 0 }
        return String(decoding: text, as: UTF8.self)
    }

    public var messageState: MessageState? {
        guard let bytes = value(for: .messageState), bytes.count == 1 else { return nil }
        return MessageState(rawValue: bytes[0])
    }

    public var networkErrorCode: NetworkErrorCode? {
        guard let bytes = value(for: .networkErrorCode), bytes.count == 3 else { return nil }
        return NetworkErrorCode(networkType: bytes[0], errorCode: UInt16(bytes[1]) << 8 | UInt16(bytes[2]))
    }

    public var sarMessageReference: UInt16? { uint16(.sarMessageReference) }
    public var sarTotalSegments: UInt8? { uint8(.sarTotalSegments) }
    public var sarSegmentSequence: UInt8? { uint8(.sarSegmentSequence) }
    public var sourcePort: UInt16? { uint16(.sourcePort) }
    public var destinationPort: UInt16? { uint16(.destinationPort) }
    public var scInterfaceVersion: UInt8? { uint8(.scInterfaceVersion) }

    private func uint8(_ tag: TLVTag) -> UInt8? {
        guard let bytes = value(for: tag), bytes.count == 1 else { return nil }
        return bytes[0]
    }

    private func uint16(_ tag: TLVTag) -> UInt16? {
        guard let bytes = value(for: tag), bytes.count == 2 else { return nil }
        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }
}
