import NIOCore

/// Converts between `DNSMessage` and the wire format of RFC 1035 §4.
///
/// Decoding accepts compressed names (with the loop and length protections of
/// `DNSWireReader.name`); encoding writes names uncompressed, which every decoder accepts and
/// which keeps the encoder trivially correct. Queries carry one name, so compression would
/// save nothing there, and the test server's answers stay small enough without it.
public enum DNSMessageCodec {
    /// The size of the fixed header.
    public static let headerLength = 12

    /// Decodes one message occupying all readable bytes of `buffer`.
    public static func decode(_ buffer: ByteBuffer) throws(DNSDecodingError) -> DNSMessage {
        var reader = DNSWireReader(buffer)
        guard reader.length >= headerLength else { throw .truncatedHeader(length: reader.length) }
        let header = DNSHeader(id: try reader.uint16("ID"), flags: try reader.uint16("flags"))
        let questionCount = Int(try reader.uint16("QDCOUNT"))
        let answerCount = Int(try reader.uint16("ANCOUNT"))
        let authorityCount = Int(try reader.uint16("NSCOUNT"))
        let additionalCount = Int(try reader.uint16("ARCOUNT"))

        var message = DNSMessage(header: header)
        // Counts come from the peer: grow arrays as records arrive rather than reserving up front.
        for _ in 0..<questionCount {
            let name = try reader.name("question name")
            let type = DNSRecordType(rawValue: try reader.uint16("QTYPE"))
            let recordClass = DNSClass(rawValue: try reader.uint16("QCLASS"))
            message.questions.append(DNSQuestion(name: name, type: type, recordClass: recordClass))
        }
        for section in 0..<3 {
            let count = [answerCount, authorityCount, additionalCount][section]
            for _ in 0..<count {
                let recordStart = reader.offset
                switch try record(&reader) {
                case .record(let record):
                    switch section {
                    case 0: message.answers.append(record)
                    case 1: message.authorities.append(record)
                    default: message.additionals.append(record)
                    }
                case .opt(let edns, let ownerIsRoot):
                    guard section == 2, ownerIsRoot else { throw .misplacedOPTRecord(offset: recordStart) }
                    guard message.edns == nil else { throw .multipleOPTRecords }
                    message.edns = edns
                }
            }
        }
        guard reader.remaining == 0 else { throw .trailingBytes(count: reader.remaining) }
        return message
    }

    /// Decodes one message from raw octets.
    public static func decode(_ bytes: [UInt8]) throws(DNSDecodingError) -> DNSMessage {
        try decode(ByteBuffer(bytes: bytes))
    }

    /// Reads only the header, for cheap filtering of datagrams that are not the awaited answer.
    public static func decodeHeader(_ buffer: ByteBuffer) throws(DNSDecodingError) -> DNSHeader {
        var reader = DNSWireReader(buffer)
        guard reader.length >= headerLength else { throw .truncatedHeader(length: reader.length) }
        return DNSHeader(id: try reader.uint16("ID"), flags: try reader.uint16("flags"))
    }

    private enum DecodedRecord {
        case record(DNSResourceRecord)
        case opt(DNSEDNS, ownerIsRoot: Bool)
    }

    private static func record(_ reader: inout DNSWireReader) throws(DNSDecodingError) -> DecodedRecord {
        let name = try reader.name()
        let type = DNSRecordType(rawValue: try reader.uint16("TYPE"))
        let rawClass = try reader.uint16("CLASS")
        let ttl = try reader.uint32("TTL")
        let length = Int(try reader.uint16("RDLENGTH"))
        if type == .opt {
            // RFC 6891 §6.1.2/§6.1.3: CLASS is the payload size, TTL holds the extended RCODE,
            // version and flags.
            let options = try reader.rdata(type: type, count: length) { (rdata: inout DNSWireReader) throws(DNSDecodingError) in
                var options: [DNSEDNSOption] = []
                while rdata.remaining > 0 {
                    let code = try rdata.uint16("option code")
                    let optionLength = Int(try rdata.uint16("option length"))
                    options.append(DNSEDNSOption(code: code, data: try rdata.bytes("option data", count: optionLength)))
                }
                return options
            }
            let edns = DNSEDNS(
                udpPayloadSize: rawClass, extendedResponseCode: UInt8(ttl >> 24), version: UInt8(truncatingIfNeeded: ttl >> 16),
                dnssecOK: ttl & 0x8000 != 0, options: options)
            return .opt(edns, ownerIsRoot: name.isRoot)
        }
        let data = try reader.rdata(type: type, count: length) { (rdata: inout DNSWireReader) throws(DNSDecodingError) in
            try recordData(type: type, length: length, &rdata)
        }
        return .record(DNSResourceRecord(name: name, recordClass: DNSClass(rawValue: rawClass), ttl: ttl, data: data))
    }

    private static func recordData(
        type: DNSRecordType, length: Int, _ rdata: inout DNSWireReader
    ) throws(DNSDecodingError) -> DNSRecordData {
        switch type {
        case .a:
            guard length == 4 else { throw .rdataLengthMismatch(type: type, declared: length, consumed: min(length, 4)) }
            return .a(IPv4Address(rawValue: try rdata.uint32("A")))
        case .aaaa:
            guard length == 16 else { throw .rdataLengthMismatch(type: type, declared: length, consumed: min(length, 16)) }
            let octets = try rdata.bytes("AAAA", count: 16)
            return .aaaa(IPv6Address(octets: octets)!)  // exactly 16 octets, checked above
        case .txt:
            var strings: [[UInt8]] = []
            while rdata.remaining > 0 {
                let count = Int(try rdata.uint8("TXT length"))
                strings.append(try rdata.bytes("TXT", count: count))
            }
            return .txt(DNSTXTRecord(characterStrings: strings))
        case .mx:
            let preference = try rdata.uint16("MX preference")
            return .mx(DNSMXRecord(preference: preference, exchange: try rdata.name("MX exchange")))
        case .cname:
            return .cname(try rdata.name("CNAME"))
        case .ns:
            return .ns(try rdata.name("NS"))
        case .soa:
            return .soa(
                DNSSOARecord(
                    primaryNameServer: try rdata.name("SOA MNAME"), responsibleMailbox: try rdata.name("SOA RNAME"),
                    serial: try rdata.uint32("SOA SERIAL"), refresh: try rdata.uint32("SOA REFRESH"),
                    retry: try rdata.uint32("SOA RETRY"), expire: try rdata.uint32("SOA EXPIRE"),
                    minimum: try rdata.uint32("SOA MINIMUM")))
        default:
            return .unknown(type: type, data: try rdata.bytes("RDATA", count: length))
        }
    }

    // MARK: Encoding

    /// Encodes `message` into a new buffer.
    public static func encode(_ message: DNSMessage) throws(DNSEncodingError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try encode(message, into: &buffer)
        return buffer
    }

    /// Appends `message` to `buffer`. On error nothing is appended.
    public static func encode(_ message: DNSMessage, into buffer: inout ByteBuffer) throws(DNSEncodingError) {
        let additionalCount = message.additionals.count + (message.edns == nil ? 0 : 1)
        for (section, count) in [
            ("question", message.questions.count), ("answer", message.answers.count),
            ("authority", message.authorities.count), ("additional", additionalCount),
        ] where count > Int(UInt16.max) {
            throw .tooManyEntries(section: section, count: count)
        }
        var out = ByteBuffer()
        out.writeInteger(message.header.id)
        out.writeInteger(message.header.flags)
        out.writeInteger(UInt16(message.questions.count))
        out.writeInteger(UInt16(message.answers.count))
        out.writeInteger(UInt16(message.authorities.count))
        out.writeInteger(UInt16(additionalCount))
        for question in message.questions {
            out.writeDNSName(question.name)
            out.writeInteger(question.type.rawValue)
            out.writeInteger(question.recordClass.rawValue)
        }
        for record in message.answers + message.authorities + message.additionals {
            try out.writeDNSRecord(record)
        }
        if let edns = message.edns {
            try out.writeOPT(edns)
        }
        buffer.writeBuffer(&out)
    }
}
