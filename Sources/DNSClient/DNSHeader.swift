/// The fixed 12-octet header of every DNS message (RFC 1035 §4.1.1), without its four counts,
/// which the codec derives from the sections.
public struct DNSHeader: Sendable, Hashable {
    /// Matches a response to its query; clients pick it at random so off-path spoofers must guess.
    public var id: UInt16
    /// QR: set in responses.
    public var isResponse: Bool
    public var opcode: DNSOpcode
    /// AA: the answer comes from a server authoritative for the name.
    public var isAuthoritativeAnswer: Bool
    /// TC: the answer did not fit in the UDP datagram; the client should ask again over TCP.
    public var isTruncated: Bool
    /// RD: the client asks the server to resolve recursively.
    public var recursionDesired: Bool
    /// RA: the server offers recursion.
    public var recursionAvailable: Bool
    /// AD (RFC 4035 §3.2.3): the resolver validated the answer with DNSSEC. Only meaningful over a
    /// trusted path to the resolver; this library never acts on it.
    public var authenticData: Bool
    /// CD (RFC 4035 §3.2.2): the client asks the resolver not to validate.
    public var checkingDisabled: Bool
    /// The low four bits of the response code; `DNSMessage.responseCode` adds the EDNS extension.
    public var responseCode: DNSResponseCode

    public init(
        id: UInt16, isResponse: Bool = false, opcode: DNSOpcode = .query, isAuthoritativeAnswer: Bool = false,
        isTruncated: Bool = false, recursionDesired: Bool = true, recursionAvailable: Bool = false,
        authenticData: Bool = false, checkingDisabled: Bool = false, responseCode: DNSResponseCode = .noError
    ) {
        self.id = id
        self.isResponse = isResponse
        self.opcode = opcode
        self.isAuthoritativeAnswer = isAuthoritativeAnswer
        self.isTruncated = isTruncated
        self.recursionDesired = recursionDesired
        self.recursionAvailable = recursionAvailable
        self.authenticData = authenticData
        self.checkingDisabled = checkingDisabled
        self.responseCode = responseCode
    }

    /// The 16 flag bits as on the wire. The reserved Z bit is always written as zero.
    var flags: UInt16 {
        var flags = UInt16(opcode.rawValue & 0x0F) << 11 | (responseCode.rawValue & 0x0F)
        if isResponse { flags |= 0x8000 }
        if isAuthoritativeAnswer { flags |= 0x0400 }
        if isTruncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        if authenticData { flags |= 0x0020 }
        if checkingDisabled { flags |= 0x0010 }
        return flags
    }

    init(id: UInt16, flags: UInt16) {
        self.init(
            id: id, isResponse: flags & 0x8000 != 0, opcode: DNSOpcode(rawValue: UInt8((flags >> 11) & 0x0F)),
            isAuthoritativeAnswer: flags & 0x0400 != 0, isTruncated: flags & 0x0200 != 0,
            recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
            authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
            responseCode: DNSResponseCode(rawValue: flags & 0x0F))
    }
}

/// The kind of request (RFC 1035 §4.1.1, RFC 6895 registry). Only `query` is used here; others
/// are kept so that a message decodes and re-encodes unchanged.
public struct DNSOpcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let query = DNSOpcode(rawValue: 0)
    public static let status = DNSOpcode(rawValue: 2)
    public static let notify = DNSOpcode(rawValue: 4)
    public static let update = DNSOpcode(rawValue: 5)

    public var description: String {
        switch self {
        case .query: "QUERY"
        case .status: "STATUS"
        case .notify: "NOTIFY"
        case .update: "UPDATE"
        default: "OPCODE\(rawValue)"
        }
    }
}

/// RCODE: how the server fared (RFC 1035 §4.1.1; 12 bits with the EDNS extension of RFC 6891).
public struct DNSResponseCode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = DNSResponseCode(rawValue: 0)
    /// FORMERR: the server could not parse the query.
    public static let formatError = DNSResponseCode(rawValue: 1)
    /// SERVFAIL: the server could not get an answer (upstream failure, DNSSEC failure, …).
    public static let serverFailure = DNSResponseCode(rawValue: 2)
    /// NXDOMAIN: the name does not exist.
    public static let nameError = DNSResponseCode(rawValue: 3)
    /// NOTIMP: the server does not support this kind of query.
    public static let notImplemented = DNSResponseCode(rawValue: 4)
    /// REFUSED: the server will not answer (policy, not a recursive resolver for us, …).
    public static let refused = DNSResponseCode(rawValue: 5)
    /// BADVERS (RFC 6891): the server does not speak the EDNS version used.
    public static let badVersion = DNSResponseCode(rawValue: 16)

    public var description: String {
        switch self {
        case .noError: "NOERROR"
        case .formatError: "FORMERR"
        case .serverFailure: "SERVFAIL"
        case .nameError: "NXDOMAIN"
        case .notImplemented: "NOTIMP"
        case .refused: "REFUSED"
        case .badVersion: "BADVERS"
        default: "RCODE\(rawValue)"
        }
    }
}
