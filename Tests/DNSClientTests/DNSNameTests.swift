import DNSClient
import Testing

@Suite struct DNSNameTests {
    @Test func parsesLabelsWithOrWithoutTrailingDot() throws {
        let relative = try DNSName("mail.Example.com")
        let absolute = try DNSName("mail.example.com.")
        #expect(relative.labels == [Array("mail".utf8), Array("Example".utf8), Array("com".utf8)])
        #expect(relative == absolute)
        #expect(relative.hashValue == absolute.hashValue)
        #expect(relative.description == "mail.Example.com")
        #expect(relative.wireLength == 18)
    }

    @Test func rootHasNoLabels() throws {
        #expect(try DNSName(".") == .root)
        #expect(DNSName.root.isRoot)
        #expect(DNSName.root.description == ".")
        #expect(DNSName.root.wireLength == 1)
    }

    @Test(arguments: [
        ("", DNSNameError.empty),
        ("a..b", .emptyLabel),
        (".a", .emptyLabel),
        ("a.b..", .emptyLabel),
        (String(repeating: "x", count: 64) + ".com", .labelTooLong(length: 64)),
        ("bücher.example", .nonASCII),
        ("a\\", .invalidEscape),
        ("a\\25", .invalidEscape),
        ("a\\256", .invalidEscape),
    ])
    func refusesInvalidNames(text: String, error: DNSNameError) {
        #expect(throws: error) { try DNSName(text) }
    }

    @Test func enforcesTheWireLengthLimit() throws {
        let label = String(repeating: "x", count: 63)
        // 3 × 64 + 62 + 1 = 255 octets: the longest legal name.
        let longest = try DNSName([label, label, label, String(repeating: "y", count: 61)].joined(separator: "."))
        #expect(longest.wireLength == 255)
        #expect(throws: DNSNameError.nameTooLong(length: 256)) {
            try DNSName([label, label, label, String(repeating: "y", count: 62)].joined(separator: "."))
        }
    }

    @Test func escapesRoundTrip() throws {
        let name = try DNSName(labelBytes: [[0x61, 0x2E, 0x62], [0x00, 0x5C, 0x20], Array("com".utf8)])
        #expect(name.description == "a\\.b.\\000\\\\\\032.com")
        #expect(try DNSName(name.description).labels == name.labels)
    }

    @Test func prependsLabelsForMailPolicyNames() throws {
        let domain = try DNSName("customer.example")
        #expect(try domain.prepending("_dmarc").description == "_dmarc.customer.example")
        #expect(try domain.prepending("s1._domainkey").description == "s1._domainkey.customer.example")
        #expect(try domain.prepending("s1._domainkey").isWithin(domain))
        #expect(!domain.isWithin(try DNSName("other.example")))
        #expect(domain.isWithin(.root))
    }

    @Test func comparesCaseInsensitivelyOnlyForASCII() throws {
        #expect(try DNSName("WWW.EXAMPLE.COM") == DNSName("www.example.com"))
        #expect(try DNSName(labelBytes: [[0xC4]]) != DNSName(labelBytes: [[0xE4]]))
    }
}

@Suite struct IPAddressTests {
    @Test(arguments: ["192.0.2.1", "0.0.0.0", "255.255.255.255"])
    func parsesAndPrintsIPv4(text: String) throws {
        #expect(try #require(IPv4Address(text)).description == text)
    }

    @Test(arguments: ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1.2.3.4 "])
    func refusesInvalidIPv4(text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test(arguments: [
        ("2001:db8::10", "2001:db8::10"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func parsesAndPrintsIPv6Canonically(text: String, canonical: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == canonical)
        #expect(IPv6Address(address.description) == address)
        #expect(IPv6Address(octets: address.octets) == address)
    }

    @Test(arguments: ["1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7", "fe80::1%eth0", "::1.2.3"])
    func refusesInvalidIPv6(text: String) {
        #expect(IPv6Address(text) == nil)
    }
}
