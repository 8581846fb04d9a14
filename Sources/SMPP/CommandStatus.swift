/// The `command_status` of an SMPP PDU (SMPP v3.4 §5.1.3).
///
/// Modelled as an open struct because SMSCs routinely use the vendor-specific range
/// (0x400–0x4FF) and the product must still be able to report such codes verbatim.
public struct SMPPCommandStatus: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// ESME_ROK: no error.
    public static let ok = Self(rawValue: 0x00)
    /// ESME_RINVMSGLEN: message length is invalid.
    public static let invalidMessageLength = Self(rawValue: 0x01)
    /// ESME_RINVCMDLEN: command length is invalid.
    public static let invalidCommandLength = Self(rawValue: 0x02)
    /// ESME_RINVCMDID: invalid command id.
    public static let invalidCommandID = Self(rawValue: 0x03)
    /// ESME_RINVBNDSTS: incorrect bind status for the given command.
    public static let invalidBindStatus = Self(rawValue: 0x04)
    /// ESME_RALYBND: ESME already in bound state.
    public static let alreadyBound = Self(rawValue: 0x05)
    /// ESME_RINVPRTFLG: invalid priority flag.
    public static let invalidPriorityFlag = Self(rawValue: 0x06)
    /// ESME_RINVREGDLVFLG: invalid registered delivery flag.
    public static let invalidRegisteredDeliveryFlag = Self(rawValue: 0x07)
    /// ESME_RSYSERR: system error.
    public static let systemError = Self(rawValue: 0x08)
    /// ESME_RINVSRCADR: invalid source address.
    public static let invalidSourceAddress = Self(rawValue: 0x0A)
    /// ESME_RINVDSTADR: invalid destination address.
    public static let invalidDestinationAddress = Self(rawValue: 0x0B)
    /// ESME_RINVMSGID: message id is invalid.
    public static let invalidMessageID = Self(rawValue: 0x0C)
    /// ESME_RBINDFAIL: bind failed.
    public static let bindFailed = Self(rawValue: 0x0D)
    /// ESME_RINVPASWD: invalid password.
    public static let invalidPassword = Self(rawValue: 0x0E)
    /// ESME_RINVSYSID: invalid system id.
    public static let invalidSystemID = Self(rawValue: 0x0F)
    /// ESME_RCANCELFAIL: cancel_sm failed.
    public static let cancelFailed = Self(rawValue: 0x11)
    /// ESME_RREPLACEFAIL: replace_sm failed.
    public static let replaceFailed = Self(rawValue: 0x13)
    /// ESME_RMSGQFUL: message queue full.
    public static let messageQueueFull = Self(rawValue: 0x14)
    /// ESME_RINVSERTYP: invalid service type.
    public static let invalidServiceType = Self(rawValue: 0x15)
    /// ESME_RINVNUMDESTS: invalid number of destinations.
    public static let invalidNumberOfDestinations = Self(rawValue: 0x33)
    /// ESME_RINVDLNAME: invalid distribution list name.
    public static let invalidDistributionListName = Self(rawValue: 0x34)
    /// ESME_RINVDESTFLAG: destination flag is invalid (submit_multi).
    public static let invalidDestinationFlag = Self(rawValue: 0x40)
    /// ESME_RINVSUBREP: invalid "submit with replace" request.
    public static let invalidSubmitWithReplace = Self(rawValue: 0x42)
    /// ESME_RINVESMCLASS: invalid esm_class field data.
    public static let invalidESMClass = Self(rawValue: 0x43)
    /// ESME_RCNTSUBDL: cannot submit to distribution list.
    public static let cannotSubmitToDistributionList = Self(rawValue: 0x44)
    /// ESME_RSUBMITFAIL: submit_sm or submit_multi failed.
    public static let submitFailed = Self(rawValue: 0x45)
    /// ESME_RINVSRCTON: invalid source address TON.
    public static let invalidSourceTON = Self(rawValue: 0x48)
    /// ESME_RINVSRCNPI: invalid source address NPI.
    public static let invalidSourceNPI = Self(rawValue: 0x49)
    /// ESME_RINVDSTTON: invalid destination address TON.
    public static let invalidDestinationTON = Self(rawValue: 0x50)
    /// ESME_RINVDSTNPI: invalid destination address NPI.
    public static let invalidDestinationNPI = Self(rawValue: 0x51)
    /// ESME_RINVSYSTYP: invalid system_type field.
    public static let invalidSystemType = Self(rawValue: 0x53)
    /// ESME_RINVREPFLAG: invalid replace_if_present flag.
    public static let invalidReplaceIfPresentFlag = Self(rawValue: 0x54)
    /// ESME_RINVNUMMSGS: invalid number of messages.
    public static let invalidNumberOfMessages = Self(rawValue: 0x55)
    /// ESME_RTHROTTLED: throttling error (ESME has exceeded allowed message limits).
    public static let throttled = Self(rawValue: 0x58)
    /// ESME_RINVSCHED: invalid scheduled delivery time.
    public static let invalidScheduledDeliveryTime = Self(rawValue: 0x61)
    /// ESME_RINVEXPIRY: invalid message validity period (expiry time).
    public static let invalidExpiry = Self(rawValue: 0x62)
    /// ESME_RINVDFTMSGID: predefined message invalid or not found.
    public static let invalidDefaultMessageID = Self(rawValue: 0x63)
    /// ESME_RX_T_APPN: ESME receiver temporary app error code.
    public static let receiverTemporaryAppError = Self(rawValue: 0x64)
    /// ESME_RX_P_APPN: ESME receiver permanent app error code.
    public static let receiverPermanentAppError = Self(rawValue: 0x65)
    /// ESME_RX_R_APPN: ESME receiver reject message error code.
    public static let receiverRejectMessage = Self(rawValue: 0x66)
    /// ESME_RQUERYFAIL: query_sm request failed.
    public static let queryFailed = Self(rawValue: 0x67)
    /// ESME_RINVOPTPARSTREAM: error in the optional part of the PDU body.
    public static let invalidOptionalParameterStream = Self(rawValue: 0xC0)
    /// ESME_ROPTPARNOTALLWD: optional parameter not allowed.
    public static let optionalParameterNotAllowed = Self(rawValue: 0xC1)
    /// ESME_RINVPARLEN: invalid parameter length.
    public static let invalidParameterLength = Self(rawValue: 0xC2)
    /// ESME_RMISSINGOPTPARAM: expected optional parameter missing.
    public static let missingOptionalParameter = Self(rawValue: 0xC3)
    /// ESME_RINVOPTPARAMVAL: invalid optional parameter value.
    public static let invalidOptionalParameterValue = Self(rawValue: 0xC4)
    /// ESME_RDELIVERYFAILURE: delivery failure (used for data_sm_resp).
    public static let deliveryFailure = Self(rawValue: 0xFE)
    /// ESME_RUNKNOWNERR: unknown error.
    public static let unknownError = Self(rawValue: 0xFF)

    /// Whether the request succeeded.
    public var isOK: Bool { self == .ok }

    /// Whether retrying the same request later can reasonably succeed.
    ///
    /// The product uses this to decide between "retry with back-off" and "fail the message":
    /// throttling, a full queue, a generic system error, a temporary application error, a
    /// generic submit failure, an unknown error, and a wrong bind state (cured by re-binding)
    /// are transient. Everything else — invalid addresses, invalid lengths, bad credentials,
    /// and unknown vendor codes, which we cannot prove to be retryable — is permanent.
    public var isTransient: Bool {
        Self.transientCodes.contains(rawValue)
    }

    private static let transientCodes: Set<UInt32> = [0x04, 0x08, 0x14, 0x45, 0x58, 0x64, 0xFF]

    /// The specification's symbolic name (for example `ESME_RTHROTTLED`), or the hex code.
    public var name: String {
        if let name = Self.names[rawValue] {
            return name
        }
        if (0x400...0x4FF).contains(rawValue) {
            return "vendor(0x" + String(rawValue, radix: 16, uppercase: true) + ")"
        }
        return "0x" + String(rawValue, radix: 16, uppercase: true)
    }

    public var description: String { name }

    private static let names: [UInt32: String] = [
        0x00: "ESME_ROK", 0x01: "ESME_RINVMSGLEN", 0x02: "ESME_RINVCMDLEN", 0x03: "ESME_RINVCMDID",
        0x04: "ESME_RINVBNDSTS", 0x05: "ESME_RALYBND", 0x06: "ESME_RINVPRTFLG", 0x07: "ESME_RINVREGDLVFLG",
        0x08: "ESME_RSYSERR", 0x0A: "ESME_RINVSRCADR", 0x0B: "ESME_RINVDSTADR", 0x0C: "ESME_RINVMSGID",
        0x0D: "ESME_RBINDFAIL", 0x0E: "ESME_RINVPASWD", 0x0F: "ESME_RINVSYSID", 0x11: "ESME_RCANCELFAIL",
        0x13: "ESME_RREPLACEFAIL", 0x14: "ESME_RMSGQFUL", 0x15: "ESME_RINVSERTYP", 0x33: "ESME_RINVNUMDESTS",
        0x34: "ESME_RINVDLNAME", 0x40: "ESME_RINVDESTFLAG", 0x42: "ESME_RINVSUBREP", 0x43: "ESME_RINVESMCLASS",
        0x44: "ESME_RCNTSUBDL", 0x45: "ESME_RSUBMITFAIL", 0x48: "ESME_RINVSRCTON", 0x49: "ESME_RINVSRCNPI",
        0x50: "ESME_RINVDSTTON", 0x51: "ESME_RINVDSTNPI", 0x53: "ESME_RINVSYSTYP", 0x54: "ESME_RINVREPFLAG",
        0x55: "ESME_RINVNUMMSGS", 0x58: "ESME_RTHROTTLED", 0x61: "ESME_RINVSCHED", 0x62: "ESME_RINVEXPIRY",
        0x63: "ESME_RINVDFTMSGID", 0x64: "ESME_RX_T_APPN", 0x65: "ESME_RX_P_APPN", 0x66: "ESME_RX_R_APPN",
        0x67: "ESME_RQUERYFAIL", 0xC0: "ESME_RINVOPTPARSTREAM", 0xC1: "ESME_ROPTPARNOTALLWD",
        0xC2: "ESME_RINVPARLEN", 0xC3: "ESME_RMISSINGOPTPARAM", 0xC4: "ESME_RINVOPTPARAMVAL",
        0xFE: "ESME_RDELIVERYFAILURE", 0xFF: "ESME_RUNKNOWNERR",
    ]
}
