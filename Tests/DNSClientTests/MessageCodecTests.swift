import DNSClient
import NIOCore
import Testing

@Suite struct MessageCodecTests {
    static let everyType: [DNSRecordData] = [
        .a(IPv4Address(192, 0, 2, 1)),
        .aaaa(IPv6Address("2001:db8::1")!),
        .txt(DNSTXTRecord(strings: ["v=spf1 -all"])),
        .txt(DNSTXTRecord(splitting: Fixture.dkimKey)),
        .txt(DNSTXTRecord(characterStrings: [[], [0x00, 0xFF], Array(repeating: 0x41, count: 255)])),
        .mx(DNSMXRecord(preference: 10, exchange: name("mx.example.com"))),
        .mx(DNSMXRecord(preference: 0, exchange: .root)),
        .cname(name("target.example.net")),
        .ns(name("ns1.example.com")),
        .soa(Fixture.soa),
        .unknown(type: .srv, data: [0, 10, 0, 5, 0x14, 0x95, 0]),
        .unknown(type: DNSRecordType(rawValue: 65280), data: []),
    ]

    @Test(arguments: everyType)
    func recordDataRoundTrips(data: DNSRecordData) throws {
        let message = DNSMessage(
            header: DNSHeader(id: 0x4242, isResponse: true, isAuthoritativeAnswer: true, recursionAvailable: true),
            questions: [DNSQuestion(name: name("example.com"), type: data.type)],
            answers: [DNSResourceRecord(name: name("example.com"), ttl: 3600, data: data)],
            authorities: [DNSResourceRecord(name: name("example.com"), ttl: 60, data: .soa(Fixture.soa))],
            additionals: [DNSResourceRecord(name: name("x.example.com"), recordClass: .chaos, ttl: 0, data: data)],
            edns: DNSEDNS(
                udpPayloadSize: 4096, extendedResponseCode: 1, version: 0, dnssecOK: true,
                options: [DNSEDNSOption(code: 10, data: [1, 2, 3, 4, 5, 6, 7, 8])]))
        let decoded = try DNSMessageCodec.decode(DNSMessageCodec.encode(message))
        #expect(decoded == message)
        #expect(decoded.responseCode.rawValue == 16)
    }

    @Test func headerFlagsRoundTrip() throws {
        for bits in 0..<256 {
            let header = DNSHeader(
                id: UInt16(bits), isResponse: bits & 1 != 0, opcode: DNSOpcode(rawValue: UInt8(bits >> 4)),
                isAuthoritativeAnswer: bits & 2 != 0, isTruncated: bits & 4 != 0, recursionDesired: bits & 8 != 0,
                recursionAvailable: bits & 16 != 0, authenticData: bits & 32 != 0, checkingDisabled: bits & 64 != 0,
                responseCode: DNSResponseCode(rawValue: UInt16(bits % 16)))
            #expect(try DNSMessageCodec.decode(DNSMessageCodec.encode(DNSMessage(header: header))).header == header)
        }
    }

    @Test func encodesAQueryExactlyAsRFC1035LaysItOut() throws {
        let query = DNSMessage.query(id: 0xABCD, name: name("example.com"), type: .mx, edns: DNSEDNS(udpPayloadSize: 1232))
        let expected = [UInt8](
            hex: """
                abcd 0100 0001 0000 0000 0001
                07 6578616d706c65 03 636f6d 00  000f 0001
                00 0029 04d0 00000000 0000
                """)
        #expect(Array(buffer: try DNSMessageCodec.encode(query)) == expected)
    }

    /// An MX response written by hand with chained compression pointers: the second exchange
    /// points at the first, which points at the question.
    @Test func followsChainedCompressionPointers() throws {
        let bytes = [UInt8](
            hex: """
                abcd 8180 0001 0002 0000 0000
                07 6578616d706c65 03 636f6d 00  000f 0001
                c00c 000f 0001 00000e10 0009  000a 04 6d61696c c00c
                c00c 000f 0001 00000e10 0008  0014 03 6d7832 c02b
                """)
        let message = try DNSMessageCodec.decode(bytes)
        #expect(message.header.id == 0xABCD)
        #expect(message.header.isResponse && message.header.recursionDesired && message.header.recursionAvailable)
        #expect(message.questions == [DNSQuestion(name: name("example.com"), type: .mx)])
        #expect(
            message.answers.map(\.data) == [
                .mx(DNSMXRecord(preference: 10, exchange: name("mail.example.com"))),
                .mx(DNSMXRecord(preference: 20, exchange: name("mx2.mail.example.com"))),
            ])
        #expect(message.answers.allSatisfy { $0.name == name("example.com") && $0.ttl == 3600 })
    }

    @Test func keepsTXTCharacterStringsApartAndJoinsThemOnRequest() throws {
        let bytes = [UInt8](
            hex: """
                0001 8180 0001 0001 0000 0000
                02 7331 0a 5f646f6d61696e6b6579 02 6578 00  0010 0001
                c00c 0010 0001 0000003c 000a  03 613d62 00 04 633d64c3
                """)
        let message = try DNSMessageCodec.decode(bytes)
        guard case .txt(let txt) = message.answers.first?.data else {
            Issue.record("expected a TXT answer")
            return
        }
        #expect(txt.characterStrings == [Array("a=b".utf8), [], [0x63, 0x3D, 0x64, 0xC3]])
        #expect(txt.strings.count == 3)
        #expect(txt.text == "a=bc=d\u{FFFD}")
    }

    @Test func splitsLongTextInto255OctetStrings() {
        let txt = DNSTXTRecord(splitting: Fixture.dkimKey)
        #expect(txt.characterStrings.map(\.count) == [255, 155])
        #expect(txt.text == Fixture.dkimKey)
        #expect(DNSTXTRecord(splitting: "").characterStrings == [[]])
    }

    @Test func refusesToEncodeOversizedFields() {
        let longString = DNSResourceRecord(name: .root, ttl: 0, data: .txt(DNSTXTRecord(strings: [String(repeating: "x", count: 256)])))
        #expect(throws: DNSEncodingError.characterStringTooLong(length: 256)) {
            try DNSMessageCodec.encode(DNSMessage(header: DNSHeader(id: 1), answers: [longString]))
        }
        let huge = DNSResourceRecord(name: .root, ttl: 0, data: .unknown(type: .srv, data: Array(repeating: 0, count: 65536)))
        #expect(throws: DNSEncodingError.rdataTooLong(type: .srv, length: 65536)) {
            try DNSMessageCodec.encode(DNSMessage(header: DNSHeader(id: 1), answers: [huge]))
        }
        var buffer = ByteBuffer(bytes: [9])
        #expect(throws: DNSEncodingError.self) { try DNSMessageCodec.encode(DNSMessage(header: DNSHeader(id: 1), answers: [huge]), into: &buffer) }
        #expect(buffer.readableBytes == 1)
    }

    @Test func presentsTypesCodesAndClassesLikeZoneFiles() {
        #expect(DNSRecordType.aaaa.description == "AAAA")
        #expect(DNSRecordType(rawValue: 65280).description == "TYPE65280")
        #expect(DNSResponseCode.nameError.description == "NXDOMAIN")
        #expect(DNSClass.in.description == "IN")
    }
}
