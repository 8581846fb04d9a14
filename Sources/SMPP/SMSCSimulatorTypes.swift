/// Settings of an `SMSCSimulator`.
public struct SMSCSimulatorConfiguration: Sendable {
    /// How the simulator numbers messages in submit_sm_resp and receipts.
    public enum MessageIDFormat: Sendable {
        /// Upper-case hexadecimal, zero-padded to 8 digits (e.g. "0000001F").
        case hex
        /// Decimal, zero-padded to 10 digits (e.g. "0000000031").
        case decimal
    }

    /// Loopback by default: the simulator is for tests and the sandbox, never for the open network.
    public var host: String
    /// 0 picks an ephemeral port; read the actual one from `SMSCSimulator.port`.
    public var port: Int
    /// The system_id the simulator returns in bind responses.
    public var systemID: String
    /// Accepted ESME credentials: system_id → password.
    public var credentials: [String: String]
    public var messageIDFormat: MessageIDFormat
    /// Delay before each submit_sm_resp (use `holdResponses()` for precise control).
    public var responseDelay: Duration
    /// Delay between a submit_sm_resp and the delivery receipt it triggers.
    public var receiptDelay: Duration
    /// Delay before retrying a deliver_sm that the ESME answered with a transient error.
    public var redeliveryDelay: Duration
    /// When set, the simulator sends enquire_link to bound ESMEs at this interval.
    public var enquireLinkInterval: Duration?
    public var maximumFrameLength: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        systemID: String = "SIMSMSC",
        credentials: [String: String] = ["test": "secret"],
        messageIDFormat: MessageIDFormat = .hex,
        responseDelay: Duration = .zero,
        receiptDelay: Duration = .zero,
        redeliveryDelay: Duration = .milliseconds(50),
        enquireLinkInterval: Duration? = nil,
        maximumFrameLength: Int = SMPPFrameDecoder.defaultMaximumFrameLength
    ) {
        self.host = host
        self.port = port
        self.systemID = systemID
        self.credentials = credentials
        self.messageIDFormat = messageIDFormat
        self.responseDelay = responseDelay
        self.receiptDelay = receiptDelay
        self.redeliveryDelay = redeliveryDelay
        self.enquireLinkInterval = enquireLinkInterval
        self.maximumFrameLength = maximumFrameLength
    }
}

/// A message the simulator accepted, reassembled when it came in several parts.
public struct SMSCReceivedMessage: Hashable, Sendable {
    /// system_id of the ESME that submitted it.
    public var systemID: String
    public var source: SMPPAddress
    public var destination: SMPPAddress
    /// The decoded, reassembled text.
    public var text: String
    public var dataCoding: DataCoding
    public var registeredDelivery: RegisteredDelivery
    /// One message id per part, in part order.
    public var messageIDs: [String]
    public var partCount: Int { messageIDs.count }
}

/// One submit_sm as received, with the status the simulator answered.
public struct SMSCSubmitRecord: Hashable, Sendable {
    public var systemID: String
    public var pdu: SubmitSM
    public var status: SMPPCommandStatus
    /// nil when the submit was refused.
    public var messageID: String?
}

/// The outcome of one deliver_sm the simulator sent (receipt or MO).
public struct SMSCDeliveryAcknowledgement: Hashable, Sendable {
    public var deliveryID: Int
    public var systemID: String
    public var isReceipt: Bool
    /// The deliver_sm_resp status (or the generic_nack status).
    public var status: SMPPCommandStatus
    /// 1 for the first attempt; higher after redeliveries.
    public var attempt: Int
}

/// A session currently bound to the simulator.
public struct SMSCBoundSession: Hashable, Sendable {
    public var systemID: String
    public var mode: BindMode
}

/// The simulator did not reach the awaited condition in time.
public struct SMSCSimulatorTimeout: Error, Hashable, Sendable {
    public var description: String
}

/// Why `sendMO` could not queue a message.
public enum SMSCSimulatorError: Error, Hashable, Sendable {
    /// No system_id was given and none can be inferred (several credentials, none bound).
    case ambiguousRecipient
    case segmentation(SegmentationError)
}
