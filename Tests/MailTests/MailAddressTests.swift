import Mail
import Testing

@Suite("Mail addresses (RFC 5322 addr-spec, RFC 6532 UTF-8)")
struct MailAddressTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var input: String
        var localPart: String
        var domain: String
        var smtpUTF8 = false
        var testDescription: String { input }
    }

    static let valid: [Valid] = [
        Valid(input: "jane.doe@example.com", localPart: "jane.doe", domain: "example.com"),
        Valid(input: "Jane.Doe@EXAMPLE.Com", localPart: "Jane.Doe", domain: "example.com"),
        Valid(input: "a+tag@sub.example.co.uk", localPart: "a+tag", domain: "sub.example.co.uk"),
        Valid(input: "!#$%&'*+-/=?^_`{|}~@example.com", localPart: "!#$%&'*+-/=?^_`{|}~", domain: "example.com"),
        Valid(input: "\"john\"@example.com", localPart: "john", domain: "example.com"),
        Valid(input: "\"john doe\"@example.com", localPart: "\"john doe\"", domain: "example.com"),
        Valid(input: "\"a\\\"b@c\"@example.com", localPart: "\"a\\\"b@c\"", domain: "example.com"),
        Valid(input: "user@[192.0.2.1]", localPart: "user", domain: "[192.0.2.1]"),
        Valid(input: "user@[ipv6:2001:DB8::1]", localPart: "user", domain: "[IPv6:2001:db8::1]"),
        Valid(input: "用户@example.com", localPart: "用户", domain: "example.com", smtpUTF8: true),
        Valid(input: "jörg.müller@xn--bcher-kva.example", localPart: "jörg.müller", domain: "xn--bcher-kva.example", smtpUTF8: true),
    ]

    @Test(arguments: valid)
    func acceptsValidAddresses(_ sample: Valid) throws {
        let address = try MailAddress(sample.input)
        #expect(address.localPart == sample.localPart)
        #expect(address.domain == sample.domain)
        #expect(address.address == sample.localPart + "@" + sample.domain)
        #expect(address.addrSpec == address.address)
        #expect(address.requiresSMTPUTF8 == sample.smtpUTF8)
        #expect(address.displayName == nil)
    }

    static let invalid: [(String, MailAddressError)] = [
        ("", .missingAtSign),
        ("jane.example.com", .missingAtSign),
        ("@example.com", .emptyLocalPart),
        ("jane@", .emptyDomain),
        ("ja ne@example.com", .invalidLocalPartCharacter(" ")),
        ("ja,ne@example.com", .invalidLocalPartCharacter(",")),
        ("jane<@example.com", .invalidLocalPartCharacter("<")),
        (".jane@example.com", .misplacedDot),
        ("jane.@example.com", .misplacedDot),
        ("ja..ne@example.com", .misplacedDot),
        ("\"unterminated@example.com", .malformedQuotedString),
        ("\"a\"b@example.com", .malformedQuotedString),
        ("jane@exa_mple.com", .invalidDomainLabel("exa_mple")),
        ("jane@-example.com", .invalidDomainLabel("-example")),
        ("jane@example..com", .invalidDomainLabel("")),
        ("jane@" + String(repeating: "a", count: 64) + ".com", .invalidDomainLabel(String(repeating: "a", count: 64))),
        ("jane@bücher.example", .nonASCIIDomain("bücher.example")),
        ("jane@[300.1.1.1]", .invalidDomainLiteral("[300.1.1.1]")),
        ("jane@[example]", .invalidDomainLiteral("[example]")),
        (String(repeating: "a", count: 65) + "@example.com", .localPartTooLong(octets: 65)),
        ("jane@example.com\r\nBcc: evil@example.net", .controlCharacter),
        ("jane\n@example.com", .controlCharacter),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidAddressesWithTypedErrors(_ input: String, _ expected: MailAddressError) {
        #expect(throws: expected) { try MailAddress(input) }
    }

    @Test func rejectsTooLongAddresses() {
        let label = String(repeating: "d", count: 60)
        let domain = [label, label, label, label, "com"].joined(separator: ".")
        #expect(throws: MailAddressError.addressTooLong(octets: 10 + 1 + domain.utf8.count)) {
            try MailAddress("abcdefghij@" + domain)
        }
    }

    @Test(arguments: ["Jane\r\nBcc: evil@example.net", "Jane\nDoe", "Jane\0"])
    func rejectsControlCharactersInDisplayNames(_ name: String) {
        #expect(throws: MailAddressError.controlCharacter) { try MailAddress("jane@example.com", displayName: name) }
    }

    @Test(arguments: [
        ("Jane Doe", "Jane Doe <jane@example.com>"),
        ("Doe, Jane", "\"Doe, Jane\" <jane@example.com>"),
        ("Jane \"JD\" Doe", "\"Jane \\\"JD\\\" Doe\" <jane@example.com>"),
        ("Jörg Müller", "=?utf-8?B?SsO2cmcgTcO8bGxlcg==?= <jane@example.com>"),
        ("  ", "jane@example.com"),
    ])
    func rendersDisplayNames(_ name: String, _ expected: String) throws {
        #expect(try MailAddress("jane@example.com", displayName: name).headerValue() == expected)
    }

    @Test(arguments: ["Jane Doe", "Doe, Jane", "Jane \"JD\" Doe", "Jörg Müller", "王小明", "O'Brien (work)", "=?not an encoded word?="])
    func displayNamesSurviveAHeaderRoundTrip(_ name: String) throws {
        let address = try MailAddress("jane@example.com", displayName: name)
        let parsed = MailAddress.parseList(address.headerValue())
        #expect(parsed == [address])
    }

    @Test func parsesAddressLists() throws {
        let value =
            "\"Doe, Jane\" <jane@example.com>, john@example.net (John Smith),\r\n =?utf-8?B?SsO2cmc=?= <JOERG@Example.COM>, "
            + "team: a@example.org, <b@example.org>;, not an address, Mary <mary(at work)@example.org>"
        let parsed = MailAddress.parseList(value)
        #expect(
            parsed.map(\.address) == [
                "jane@example.com", "john@example.net", "JOERG@example.com", "a@example.org", "b@example.org", "mary@example.org",
            ])
        #expect(parsed.map(\.displayName) == ["Doe, Jane", "John Smith", "Jörg", nil, nil, "Mary"])
    }
}
