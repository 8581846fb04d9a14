/// The `command_id` of an SMPP PDU (SMPP v3.4 §5.1.2.1).
///
/// A struct rather than an enum so that identifiers this library does not model (for example
/// `query_sm` or vendor extensions) can still be carried, logged and answered with
/// `generic_nack`/`ESME_RINVCMDID` instead of being impossible to represent.
public struct SMPPCommandID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    public static let genericNack = SMPPCommandID(rawValue: 0x8000_0000)
    public static let bindReceiver = SMPPCommandID(rawValue: 0x0000_0001)
    public static let bindReceiverResp = SMPPCommandID(rawValue: 0x8000_0001)
    public static let bindTransmitter = SMPPCommandID(rawValue: 0x0000_0002)
    public static let bindTransmitterResp = SMPPCommandID(rawValue: 0x8000_0002)
    public static let querySM = SMPPCommandID(rawValue: 0x0000_0003)
    public static let querySMResp = SMPPCommandID(rawValue: 0x8000_0003)
    public static let submitSM = SMPPCommandID(rawValue: 0x0000_0004)
    public static let submitSMResp = SMPPCommandID(rawValue: 0x8000_0004)
    public static let deliverSM = SMPPCommandID(rawValue: 0x0000_0005)
    public static let deliverSMResp = SMPPCommandID(rawValue: 0x8000_0005)
    public static let unbind = SMPPCommandID(rawValue: 0x0000_0006)
    public static let unbindResp = SMPPCommandID(rawValue: 0x8000_0006)
    public static let replaceSM = SMPPCommandID(rawValue: 0x0000_0007)
    public static let replaceSMResp = SMPPCommandID(rawValue: 0x8000_0007)
    public static let cancelSM = SMPPCommandID(rawValue: 0x0000_0008)
    public static let cancelSMResp = SMPPCommandID(rawValue: 0x8000_0008)
    public static let bindTransceiver = SMPPCommandID(rawValue: 0x0000_0009)
    public static let bindTransceiverResp = SMPPCommandID(rawValue: 0x8000_0009)
    public static let outbind = SMPPCommandID(rawValue: 0x0000_000B)
    public static let enquireLink = SMPPCommandID(rawValue: 0x0000_0015)
    public static let enquireLinkResp = SMPPCommandID(rawValue: 0x8000_0015)
    public static let submitMulti = SMPPCommandID(rawValue: 0x0000_0021)
    public static let submitMultiResp = SMPPCommandID(rawValue: 0x8000_0021)
    public static let alertNotification = SMPPCommandID(rawValue: 0x0000_0102)
    public static let dataSM = SMPPCommandID(rawValue: 0x0000_0103)
    public static let dataSMResp = SMPPCommandID(rawValue: 0x8000_0103)

    /// Responses have the most significant bit set; the session layer uses this to decide whether
    /// an inbound PDU completes one of our requests or is a request the peer expects us to answer.
    public var isResponse: Bool {
        rawValue & 0x8000_0000 != 0
    }

    /// The id of the response that answers this request (§5.1.2.1: request id with bit 31 set).
    public var responseID: SMPPCommandID {
        SMPPCommandID(rawValue: rawValue | 0x8000_0000)
    }

    public var description: String {
        if let name = Self.names[rawValue] {
            return name
        }
        return "command_id(0x" + String(rawValue, radix: 16, uppercase: true) + ")"
    }

    private static let names: [UInt32: String] = [
        0x8000_0000: "generic_nack",
        0x0000_0001: "bind_receiver", 0x8000_0001: "bind_receiver_resp",
        0x0000_0002: "bind_transmitter", 0x8000_0002: "bind_transmitter_resp",
        0x0000_0003: "query_sm", 0x8000_0003: "query_sm_resp",
        0x0000_0004: "submit_sm", 0x8000_0004: "submit_sm_resp",
        0x0000_0005: "deliver_sm", 0x8000_0005: "deliver_sm_resp",
        0x0000_0006: "unbind", 0x8000_0006: "unbind_resp",
        0x0000_0007: "replace_sm", 0x8000_0007: "replace_sm_resp",
        0x0000_0008: "cancel_sm", 0x8000_0008: "cancel_sm_resp",
        0x0000_0009: "bind_transceiver", 0x8000_0009: "bind_transceiver_resp",
        0x0000_000B: "outbind",
        0x0000_0015: "enquire_link", 0x8000_0015: "enquire_link_resp",
        0x0000_0021: "submit_multi", 0x8000_0021: "submit_multi_resp",
        0x0000_0102: "alert_notification",
        0x0000_0103: "data_sm", 0x8000_0103: "data_sm_resp",
    ]
}
