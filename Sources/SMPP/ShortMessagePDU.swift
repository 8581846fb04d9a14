/// The body shared by submit_sm (§4.4.1) and deliver_sm (§4.6.1), whose wire layouts are identical.
///
/// One type keeps the codec, the segmentation helpers and the receipt parser from being written
/// twice; the `SubmitSM`/`DeliverSM` aliases keep call sites readable.
public struct ShortMessagePDU: Hashable, Sendable {
    /// service_type, at most 5 characters ("" = SMSC default).
    public var serviceType: String
    /// Originator (source_addr at most 20 characters).
    public var source: SMPPAddress
    /// Recipient (destination_addr at most 20 characters).
    public var destination: SMPPAddress
    public var esmClass: ESMClass
    public var protocolID: UInt8
    public var priorityFlag: UInt8
    /// schedule_delivery_time: "" or a 16-character SMPP time (§7.1.1).
    public var scheduleDeliveryTime: String
    /// validity_period: "" or a 16-character SMPP time (§7.1.1).
    public var validityPeriod: String
    public var registeredDelivery: RegisteredDelivery
    public var replaceIfPresentFlag: UInt8
    public var dataCoding: DataCoding
    public var smDefaultMessageID: UInt8
    /// short_message: at most 254 octets; empty when the text travels in message_payload.
    public var shortMessage: [UInt8]
    /// Optional parameters, in wire order; unknown tags are kept.
    public var tlvs: [TLV]

    public init(
        serviceType: String = "",
        source: SMPPAddress = SMPPAddress(),
        destination: SMPPAddress = SMPPAddress(),
        esmClass: ESMClass = .default,
        protocolID: UInt8 = 0,
        priorityFlag: UInt8 = 0,
        scheduleDeliveryTime: String = "",
        validityPeriod: String = "",
        registeredDelivery: RegisteredDelivery = .none,
        replaceIfPresentFlag: UInt8 = 0,
        dataCoding: DataCoding = .smscDefault,
        smDefaultMessageID: UInt8 = 0,
        shortMessage: [UInt8] = [],
        tlvs: [TLV] = []
    ) {
        self.serviceType = serviceType
        self.source = source
        self.destination = destination
        self.esmClass = esmClass
        self.protocolID = protocolID
        self.priorityFlag = priorityFlag
        self.scheduleDeliveryTime = scheduleDeliveryTime
        self.validityPeriod = validityPeriod
        self.registeredDelivery = registeredDelivery
        self.replaceIfPresentFlag = replaceIfPresentFlag
        self.dataCoding = dataCoding
        self.smDefaultMessageID = smDefaultMessageID
        self.shortMessage = shortMessage
        self.tlvs = tlvs
    }

    /// The message octets wherever they travel: message_payload when present, else short_message.
    public var messageBytes: [UInt8] {
        tlvs.messagePayload ?? shortMessage
    }

    /// The user data without any User Data Header, plus the parsed header when UDHI is set.
    public var userData: (header: UserDataHeader?, body: [UInt8]) {
        let bytes = messageBytes
        guard esmClass.hasUDHI, let (header, length) = UserDataHeader.parse(bytes) else {
            return (nil, bytes)
        }
        return (header, Array(bytes[length...]))
    }

    /// The decoded text of this part (UDH stripped), according to data_coding.
    public var text: String {
        SMSText.decode(userData.body, dataCoding: dataCoding)
    }
}

/// submit_sm body (ESME → SMSC).
public typealias SubmitSM = ShortMessagePDU
/// deliver_sm body (SMSC → ESME): delivery receipts and mobile-originated messages.
public typealias DeliverSM = ShortMessagePDU

/// submit_sm_resp body. The SMSC omits the body when command_status is non-zero (§4.4.2), so
/// `messageID` is then empty.
public struct SubmitSMResponse: Hashable, Sendable {
    /// message_id, at most 64 characters: the SMSC's handle used later in delivery receipts.
    public var messageID: String

    public init(messageID: String) {
        self.messageID = messageID
    }
}

/// deliver_sm_resp body; message_id is unused and set to NULL (§4.6.2).
public struct DeliverSMResponse: Hashable, Sendable {
    public var messageID: String

    public init(messageID: String = "") {
        self.messageID = messageID
    }
}

/// data_sm body (§4.7.1): an interactive-session alternative to submit_sm/deliver_sm whose
/// content always travels in TLVs (message_payload).
public struct DataSM: Hashable, Sendable {
    public var serviceType: String
    /// source_addr at most 64 characters.
    public var source: SMPPAddress
    /// destination_addr at most 64 characters.
    public var destination: SMPPAddress
    public var esmClass: ESMClass
    public var registeredDelivery: RegisteredDelivery
    public var dataCoding: DataCoding
    public var tlvs: [TLV]

    public init(
        serviceType: String = "",
        source: SMPPAddress = SMPPAddress(),
        destination: SMPPAddress = SMPPAddress(),
        esmClass: ESMClass = .default,
        registeredDelivery: RegisteredDelivery = .none,
        dataCoding: DataCoding = .smscDefault,
        tlvs: [TLV] = []
    ) {
        self.serviceType = serviceType
        self.source = source
        self.destination = destination
        self.esmClass = esmClass
        self.registeredDelivery = registeredDelivery
        self.dataCoding = dataCoding
        self.tlvs = tlvs
    }
}

/// data_sm_resp body: message_id and optional TLVs (delivery_failure_reason, …).
public struct DataSMResponse: Hashable, Sendable {
    public var messageID: String
    public var tlvs: [TLV]

    public init(messageID: String, tlvs: [TLV] = []) {
        self.messageID = messageID
        self.tlvs = tlvs
    }
}
