import NIOCore

/// Everything an `SMPPClient` needs to reach and bind to an SMSC. Every interval is
/// configurable so that tests can run the real timers in milliseconds.
public struct SMPPClientConfiguration: Sendable {
    /// SMSC host name or address.
    public var host: String
    /// SMSC port (2775 by convention).
    public var port: Int
    /// system_id (at most 15 characters), as issued by the carrier.
    public var systemID: String
    /// password (at most 8 characters).
    public var password: String
    /// system_type (at most 12 characters); usually empty.
    public var systemType: String
    /// Transceiver by default: one connection both submits and receives receipts/MO.
    public var bindMode: BindMode
    public var addressTON: TypeOfNumber
    public var addressNPI: NumberingPlan
    public var addressRange: String
    /// Maximum requests awaiting a response at once; further submits wait for room. SMSCs
    /// usually contract a window of 1–50 and throttle or disconnect beyond it.
    public var windowSize: Int
    /// How long to wait for any response (bind, submit, enquire_link) before failing the request.
    public var responseTimeout: Duration
    /// How long the TCP connect may take.
    public var connectTimeout: Duration
    /// How long to wait for the bind response; separate from `responseTimeout` because SMSCs
    /// often check credentials against a slower backend than they answer submits.
    public var bindTimeout: Duration
    /// Interval between enquire_link keep-alives; nil disables them. A keep-alive that gets no
    /// answer within `responseTimeout` closes the connection, failing outstanding requests.
    public var enquireLinkInterval: Duration?
    /// How long `close()` waits for unbind_resp before closing the socket anyway.
    public var unbindTimeout: Duration
    /// Largest inbound command_length accepted; larger ones close the connection.
    public var maximumFrameLength: Int

    public init(
        host: String,
        port: Int,
        systemID: String,
        password: String,
        systemType: String = "",
        bindMode: BindMode = .transceiver,
        addressTON: TypeOfNumber = .unknown,
        addressNPI: NumberingPlan = .unknown,
        addressRange: String = "",
        windowSize: Int = 10,
        responseTimeout: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(10),
        bindTimeout: Duration = .seconds(10),
        enquireLinkInterval: Duration? = .seconds(30),
        unbindTimeout: Duration = .seconds(2),
        maximumFrameLength: Int = SMPPFrameDecoder.defaultMaximumFrameLength
    ) {
        self.host = host
        self.port = port
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.bindMode = bindMode
        self.addressTON = addressTON
        self.addressNPI = addressNPI
        self.addressRange = addressRange
        self.windowSize = windowSize
        self.responseTimeout = responseTimeout
        self.connectTimeout = connectTimeout
        self.bindTimeout = bindTimeout
        self.enquireLinkInterval = enquireLinkInterval
        self.unbindTimeout = unbindTimeout
        self.maximumFrameLength = maximumFrameLength
    }

    var bindRequest: BindRequest {
        BindRequest(
            mode: bindMode, systemID: systemID, password: password, systemType: systemType,
            addressTON: addressTON, addressNPI: addressNPI, addressRange: addressRange)
    }
}

/// Failures of the client session itself, as opposed to an SMSC answer with a non-zero
/// command_status (which `SubmitResult` reports).
public enum SMPPClientError: Error, Hashable, Sendable {
    /// The SMSC refused the bind (ESME_RINVPASWD, ESME_RINVSYSID, ESME_RBINDFAIL, …).
    case bindFailed(SMPPCommandStatus)
    /// No response within the configured timeout.
    case responseTimeout(SMPPCommandID)
    /// The connection is closed or closed while the request was outstanding. Whether the SMSC
    /// accepted an in-flight submit is unknown.
    case connectionClosed
    /// `close()` was called; requests still waiting for window room are abandoned.
    case closing
    /// The SMSC answered with generic_nack (it could not parse or does not support the request).
    case genericNack(SMPPCommandStatus)
    /// The SMSC answered with a response of another type than the request.
    case unexpectedResponse(SMPPCommandID)
    /// The response could not be decoded.
    case malformedResponse(SMPPDecodingError)
    /// The request breaks a limit of the specification and was not sent.
    case invalidPDU(SMPPEncodingError)
    /// The text could not be split into parts.
    case segmentation(SegmentationError)
    /// The bind mode does not allow the operation (for example submit on a receiver bind).
    case notAllowedByBindMode(BindMode)
    /// An enquire_link went unanswered, so the connection was considered dead and closed.
    case keepAliveFailed

    /// Whether the same request may succeed on a later attempt (possibly on a new connection).
    /// Timeouts and lost connections are transient but may cause a duplicate delivery.
    public var isTransient: Bool {
        switch self {
        case .responseTimeout, .connectionClosed, .closing, .keepAliveFailed: true
        case .genericNack(let status): status.isTransient
        default: false
        }
    }
}

/// The SMSC's answer to one submit_sm.
public struct SubmitResult: Hashable, Sendable {
    /// The submit_sm_resp command_status: ESME_ROK, or why the SMSC refused the message.
    public var status: SMPPCommandStatus
    /// The SMSC message id (nil when the submit was refused); delivery receipts refer to it.
    public var messageID: String?
    /// The sequence number the submit_sm went out with, for correlating logs with captures.
    public var sequenceNumber: UInt32

    public init(status: SMPPCommandStatus, messageID: String?, sequenceNumber: UInt32) {
        self.status = status
        self.messageID = messageID
        self.sequenceNumber = sequenceNumber
    }

    public var isSuccess: Bool { status == .ok }
    /// Retry later (throttled, queue full, …) rather than fail the message.
    public var isTransient: Bool { status.isTransient }
}

extension TimeAmount {
    init(clamping duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let nanos = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !nanos.overflow else {
            self = .nanoseconds(Int64.max)
            return
        }
        self = .nanoseconds(max(0, nanos.partialValue + attoseconds / 1_000_000_000))
    }
}
