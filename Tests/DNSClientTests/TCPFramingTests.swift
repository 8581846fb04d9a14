import DNSClient
import NIOCore
import NIOEmbedded
import Testing

@Suite struct TCPFramingTests {
    @Test func cutsAStreamIntoLengthPrefixedMessagesWhateverTheSegmentation() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        let first = try DNSMessageCodec.encode(DNSMessage.query(id: 1, name: name("a.example"), type: .txt))
        let second = try DNSMessageCodec.encode(DNSMessage.query(id: 2, name: name("b.example"), type: .mx))
        var stream = ByteBuffer()
        for message in [first, second] {
            stream.writeInteger(UInt16(message.readableBytes))
            stream.writeImmutableBuffer(message)
        }
        // Deliver one octet at a time: the decoder must wait for whole frames.
        while let octet = stream.readSlice(length: 1) {
            try channel.writeInbound(octet)
        }
        let frames = [try channel.readInbound(as: ByteBuffer.self), try channel.readInbound(as: ByteBuffer.self)]
        #expect(frames == [first, second])
        #expect(try DNSMessageCodec.decode(#require(frames[1])).header.id == 2)
        #expect(try channel.finish().isClean)
    }

    @Test func reportsAConnectionThatEndsInsideAMessage() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(DNSTCPFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x20, 0xAB, 0xCD]))
        #expect(throws: DNSTCPFramingError.truncatedFrame(received: 4, expected: 32)) { try channel.finish() }
    }

    @Test func prefixesOutboundMessagesWithTheirLength() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(DNSTCPFrameEncoder()))
        try channel.writeOutbound(ByteBuffer(bytes: [1, 2, 3]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0, 3, 1, 2, 3]))
        #expect(throws: DNSTCPFramingError.messageTooLong(length: 65536)) {
            try channel.writeOutbound(ByteBuffer(repeating: 0, count: 65536))
        }
    }
}

@Suite struct ServerAddressTests {
    @Test(arguments: [
        ("192.0.2.53", "192.0.2.53", 53),
        ("192.0.2.53:5353", "192.0.2.53", 5353),
        ("[2001:db8::53]:5353", "2001:db8::53", 5353),
        ("[::1]", "::1", 53),
        ("2001:db8::53", "2001:db8::53", 53),
    ])
    func parsesResolverAddresses(text: String, host: String, port: Int) throws {
        let address = try DNSServerAddress(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(try DNSServerAddress(parsing: address.description) == address)
    }

    @Test(arguments: [
        ("dns.example:53", DNSConfigurationError.invalidHost("dns.example")),
        ("192.0.2.53:0", .invalidPort("0")),
        ("192.0.2.53:65536", .invalidPort("65536")),
        ("192.0.2.53:", .invalidPort("")),
        ("[::1]:x", .invalidPort("x")),
        ("[::1", .invalidHost("[::1")),
        ("[::1]53", .invalidHost("[::1]53")),
        ("", .invalidHost("")),
    ])
    func refusesInvalidAddresses(text: String, error: DNSConfigurationError) {
        #expect(throws: error) { try DNSServerAddress(parsing: text) }
    }

    @Test func takesTheFirstUsableNameserverOfResolvConf() throws {
        let conf = """
            # generated
            search example.com
            ; nameserver 192.0.2.1
            nameserver fe80::1%eth0
            nameserver\t192.0.2.53
            nameserver 192.0.2.54
            options edns0
            """
        #expect(DNSServerAddress.fromResolvConf(conf) == (try DNSServerAddress(host: "192.0.2.53")))
        #expect(DNSServerAddress.fromResolvConf("search example.com\n") == nil)
    }

    @Test func fallsBackToLoopbackWithoutAUsableResolvConf() {
        #expect(DNSServerAddress.system(resolvConfPath: "/nonexistent/resolv.conf") == .loopback)
        #expect(DNSServerAddress.loopback.description == "127.0.0.1:53")
    }
}
