/// The body of an SMPP PDU, one case per operation this library models.
public enum PDUBody: Hashable, Sendable {
    case bind(BindRequest)
    case bindResponse(BindResponse)
    case unbind
    case unbindResponse
    case genericNack
    case submitSM(SubmitSM)
    case submitSMResponse(SubmitSMResponse)
    case deliverSM(DeliverSM)
    case deliverSMResponse(DeliverSMResponse)
    case enquireLink
    case enquireLinkResponse
    case dataSM(DataSM)
    case dataSMResponse(DataSMResponse)

    /// The command_id that identifies this body on the wire.
    public var commandID: SMPPCommandID {
        switch self {
        case .bind(let request): request.mode.commandID
        case .bindResponse(let response): response.mode.commandID.responseID
        case .unbind: .unbind
        case .unbindResponse: .unbindResp
        case .genericNack: .genericNack
        case .submitSM: .submitSM
        case .submitSMResponse: .submitSMResp
        case .deliverSM: .deliverSM
        case .deliverSMResponse: .deliverSMResp
        case .enquireLink: .enquireLink
        case .enquireLinkResponse: .enquireLinkResp
        case .dataSM: .dataSM
        case .dataSMResponse: .dataSMResp
        }
    }
}

/// A complete SMPP PDU: the 16-octet header (command_length is derived when encoding) and a body.
public struct PDU: Hashable, Sendable {
    /// Size of the mandatory header: command_length, command_id, command_status, sequence_number.
    public static let headerLength = 16

    /// Zero in requests; the outcome in responses.
    public var commandStatus: SMPPCommandStatus
    /// 1…0x7FFFFFFF; responses echo the request's number, which is how they are correlated.
    public var sequenceNumber: UInt32
    public var body: PDUBody

    public init(body: PDUBody, sequenceNumber: UInt32, commandStatus: SMPPCommandStatus = .ok) {
        self.commandStatus = commandStatus
        self.sequenceNumber = sequenceNumber
        self.body = body
    }

    public var commandID: SMPPCommandID { body.commandID }
}

extension PDU: CustomStringConvertible {
    public var description: String {
        "\(commandID) seq=\(sequenceNumber) status=\(commandStatus)"
    }
}
