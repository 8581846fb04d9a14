/// The esm_class octet (SMPP v3.4 §5.2.12): messaging mode, message type and GSM features.
///
/// The product needs two bits of it above all: UDHI (0x40), which says the short message starts
/// with a User Data Header (concatenation), and the message type, which tells a delivery
/// receipt (0x04) apart from a mobile-originated message (0x00).
public struct ESMClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bits 5–2: the message type.
    public struct MessageType: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue & 0x3C }

        public static let `default` = Self(rawValue: 0x00)
        public static let smscDeliveryReceipt = Self(rawValue: 0x04)
        public static let smeDeliveryAcknowledgement = Self(rawValue: 0x08)
        public static let smeManualAcknowledgement = Self(rawValue: 0x10)
        public static let conversationAbort = Self(rawValue: 0x18)
        public static let intermediateDeliveryNotification = Self(rawValue: 0x20)
    }

    public static let `default` = ESMClass(rawValue: 0x00)
    /// esm_class of an SMSC delivery receipt (deliver_sm).
    public static let deliveryReceipt = ESMClass(rawValue: 0x04)
    /// UDHI set: the short message (or payload) begins with a User Data Header.
    public static let udhi = ESMClass(rawValue: 0x40)

    public static let udhiMask: UInt8 = 0x40
    public static let replyPathMask: UInt8 = 0x80

    /// Bits 1–0: 0 default SMSC mode, 1 datagram, 2 forward (transaction), 3 store and forward.
    public var messagingMode: UInt8 {
        get { rawValue & 0x03 }
        set { rawValue = (rawValue & ~0x03) | (newValue & 0x03) }
    }

    public var messageType: MessageType {
        get { MessageType(rawValue: rawValue) }
        set { rawValue = (rawValue & ~0x3C) | newValue.rawValue }
    }

    public var hasUDHI: Bool {
        get { rawValue & Self.udhiMask != 0 }
        set { rawValue = newValue ? rawValue | Self.udhiMask : rawValue & ~Self.udhiMask }
    }

    /// True for SMSC delivery receipts and intermediate delivery notifications, both of which
    /// carry Appendix B text rather than user content.
    public var isDeliveryReceipt: Bool {
        messageType == .smscDeliveryReceipt || messageType == .intermediateDeliveryNotification
    }
}

/// The registered_delivery octet (SMPP v3.4 §5.2.17).
public struct RegisteredDelivery: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let none = RegisteredDelivery(rawValue: 0x00)
    /// SMSC delivery receipt on final outcome, success or failure (bits 1–0 = 01).
    public static let onSuccessOrFailure = RegisteredDelivery(rawValue: 0x01)
    /// SMSC delivery receipt on failure only (bits 1–0 = 10).
    public static let onFailure = RegisteredDelivery(rawValue: 0x02)

    /// Bits 1–0: 0 none, 1 success or failure, 2 failure only (3 reserved).
    public var smscReceipt: UInt8 { rawValue & 0x03 }

    /// Bit 4: intermediate notification requested.
    public var wantsIntermediateNotification: Bool { rawValue & 0x10 != 0 }

    /// Whether an SMSC should send a receipt for a message that reached `state`.
    public func wantsReceipt(for state: MessageState) -> Bool {
        switch smscReceipt {
        case 1: return state.isFinal
        case 2: return state.isFinal && state != .delivered
        default: return false
        }
    }
}

/// The data_coding octet (SMPP v3.4 §5.2.19).
public struct DataCoding: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SMSC default alphabet; this library treats it as GSM 03.38, one septet per octet.
    public static let smscDefault = DataCoding(rawValue: 0x00)
    /// IA5 (CCITT T.50) / ASCII.
    public static let ia5 = DataCoding(rawValue: 0x01)
    public static let octetUnspecified2 = DataCoding(rawValue: 0x02)
    /// Latin 1 (ISO-8859-1).
    public static let latin1 = DataCoding(rawValue: 0x03)
    /// 8-bit binary.
    public static let binary = DataCoding(rawValue: 0x04)
    /// UCS-2 (ISO/IEC-10646), sent as UTF-16BE so that surrogate pairs carry emoji.
    public static let ucs2 = DataCoding(rawValue: 0x08)
}
