/// A DNS message (RFC 1035 §4.1): header, question, answer, authority and additional sections,
/// with the EDNS OPT pseudo-record (RFC 6891) lifted out of the additional section.
public struct DNSMessage: Sendable, Hashable {
    public var header: DNSHeader
    public var questions: [DNSQuestion]
    public var answers: [DNSResourceRecord]
    public var authorities: [DNSResourceRecord]
    /// Additional records, without the OPT record (see `edns`).
    public var additionals: [DNSResourceRecord]
    /// The OPT pseudo-record, when the message has one.
    public var edns: DNSEDNS?

    public init(
        header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSResourceRecord] = [],
        authorities: [DNSResourceRecord] = [], additionals: [DNSResourceRecord] = [], edns: DNSEDNS? = nil
    ) {
        self.header = header
        self.questions = questions
        self.answers = answers
        self.authorities = authorities
        self.additionals = additionals
        self.edns = edns
    }

    /// A standard recursive query for one name and type.
    public static func query(
        id: UInt16, name: DNSName, type: DNSRecordType, recordClass: DNSClass = .in, edns: DNSEDNS? = nil
    ) -> DNSMessage {
        DNSMessage(
            header: DNSHeader(id: id, recursionDesired: true),
            questions: [DNSQuestion(name: name, type: type, recordClass: recordClass)], edns: edns)
    }

    /// The full response code: the header's four bits plus, with EDNS, the eight extension bits.
    public var responseCode: DNSResponseCode {
        let low = header.responseCode.rawValue & 0x0F
        guard let edns else { return DNSResponseCode(rawValue: low) }
        return DNSResponseCode(rawValue: UInt16(edns.extendedResponseCode) << 4 | low)
    }
}

/// One entry of the question section.
public struct DNSQuestion: Sendable, Hashable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSClass

    public init(name: DNSName, type: DNSRecordType, recordClass: DNSClass = .in) {
        self.name = name
        self.type = type
        self.recordClass = recordClass
    }
}

/// A resource record (RFC 1035 §4.1.3). Its type is that of its data, so the two cannot disagree.
public struct DNSResourceRecord: Sendable, Hashable {
    public var name: DNSName
    public var recordClass: DNSClass
    /// Seconds the record may be cached.
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, recordClass: DNSClass = .in, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    public var type: DNSRecordType { data.type }
}

/// The EDNS(0) OPT pseudo-record (RFC 6891 §6.1): lets a client receive UDP answers larger than
/// 512 octets, which avoids a TCP round trip for long TXT records such as DKIM keys.
public struct DNSEDNS: Sendable, Hashable {
    /// The largest UDP payload the sender can reassemble. 1232 is the value the DNS Flag Day 2020
    /// operators agreed on: it fits an IPv6 minimum MTU, so answers are never IP-fragmented.
    public var udpPayloadSize: UInt16
    /// The upper eight bits of the 12-bit response code.
    public var extendedResponseCode: UInt8
    public var version: UInt8
    /// DO: the sender wants DNSSEC records.
    public var dnssecOK: Bool
    public var options: [DNSEDNSOption]

    public static let defaultUDPPayloadSize: UInt16 = 1232

    public init(
        udpPayloadSize: UInt16 = DNSEDNS.defaultUDPPayloadSize, extendedResponseCode: UInt8 = 0, version: UInt8 = 0,
        dnssecOK: Bool = false, options: [DNSEDNSOption] = []
    ) {
        self.udpPayloadSize = udpPayloadSize
        self.extendedResponseCode = extendedResponseCode
        self.version = version
        self.dnssecOK = dnssecOK
        self.options = options
    }
}

/// One EDNS option (code, value), kept uninterpreted.
public struct DNSEDNSOption: Sendable, Hashable {
    public var code: UInt16
    public var data: [UInt8]

    public init(code: UInt16, data: [UInt8]) {
        self.code = code
        self.data = data
    }
}
