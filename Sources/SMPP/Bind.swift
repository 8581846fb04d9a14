/// Which kind of bind an ESME asks for; a transceiver both submits and receives deliver_sm.
public enum BindMode: String, Hashable, Sendable, CaseIterable {
    case transmitter
    case receiver
    case transceiver

    public var commandID: SMPPCommandID {
        switch self {
        case .transmitter: .bindTransmitter
        case .receiver: .bindReceiver
        case .transceiver: .bindTransceiver
        }
    }

    /// Whether a session bound this way may send submit_sm/data_sm.
    public var canTransmit: Bool { self != .receiver }
    /// Whether a session bound this way may be sent deliver_sm.
    public var canReceive: Bool { self != .transmitter }
}

/// bind_transmitter / bind_receiver / bind_transceiver body (SMPP v3.4 §4.1.1, §4.1.3, §4.1.5).
public struct BindRequest: Hashable, Sendable {
    public var mode: BindMode
    /// system_id, at most 15 characters.
    public var systemID: String
    /// password, at most 8 characters.
    public var password: String
    /// system_type, at most 12 characters.
    public var systemType: String
    /// interface_version: 0x34 for SMPP v3.4.
    public var interfaceVersion: UInt8
    public var addressTON: TypeOfNumber
    public var addressNPI: NumberingPlan
    /// address_range, at most 40 characters (a regular expression in practice).
    public var addressRange: String

    public init(
        mode: BindMode,
        systemID: String,
        password: String,
        systemType: String = "",
        interfaceVersion: UInt8 = 0x34,
        addressTON: TypeOfNumber = .unknown,
        addressNPI: NumberingPlan = .unknown,
        addressRange: String = ""
    ) {
        self.mode = mode
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.interfaceVersion = interfaceVersion
        self.addressTON = addressTON
        self.addressNPI = addressNPI
        self.addressRange = addressRange
    }
}

/// bind_*_resp body: the SMSC's system_id and optionally its sc_interface_version TLV.
public struct BindResponse: Hashable, Sendable {
    public var mode: BindMode
    /// The SMSC's system_id (at most 15 characters). Absent when the bind failed.
    public var systemID: String
    public var tlvs: [TLV]

    public init(mode: BindMode, systemID: String, tlvs: [TLV] = []) {
        self.mode = mode
        self.systemID = systemID
        self.tlvs = tlvs
    }
}
