import DNSClient
import Testing

/// Responses captured from real DNS server implementations serving scripts/dns-interop's zone:
/// dnslib 0.9.26's zoneresolver (Python) and dnsmasq 2.90 (Debian bookworm), queried with
/// `scripts/dns-interop/capture.py HOST:PORT NAME TYPE ID [edns]`, whose queries are built by hand.
@Suite struct CapturedResponseTests {
    /// dnslib, `example.test MX`, id 0x1234, no EDNS: compressed owner names and exchanges, and the
    /// exchanges' addresses in the additional section.
    static let dnslibMX = [UInt8](
        hex: """
            123485800001000200000003076578616d706c65047465737400000f0001c00c000f00010000012c00080014036d7832c00cc00c000f00010000012c
            0008000a036d7831c00cc02c000100010000012c0004c0000214c040000100010000012c0004c000020ac040001c00010000012c001020010db80000
            00000000000000000010
            """)

    /// dnsmasq, `sel1._domainkey.example.test TXT`, id 0xBEEF, EDNS 1232: a DKIM key in two
    /// character-strings (255 + 155 octets) and an OPT record in the answer.
    static let dnsmasqDKIM = [UInt8](
        hex: """
            beef858000010001000000010473656c310a5f646f6d61696e6b6579076578616d706c6504746573740000100001c00c0010000100000000019cff76
            3d444b494d313b206b3d7273613b20703d4d494942496a414e42676b71686b6947397730424151454641414f43415138414d49494243674b43415145
            4179746c6763514e41392f4f53334975617464554d623776566a61533239586c644168413848542f4c6e665156646c4e327a66515437585a41336976
            53584944386c50395732594f326131336c3271396a45422f4c6d776a76634733416346612b373063484b344467734f785830793935645a74314d367a
            6f2f505a734b334c596e7a446f6a6b376a4c7a7550482b766967736f766451634a546b33426c7873346c496455496e6855507036634e416935616153
            656630526a2f386e7443783341579b684f696850354d70464c63505330783443434d4e2b44444651394d394975554f75666e65435933784d364d5561
            656b504f3633757059723150496b75305656416d326c726658616a6a626179547755625862704172712b345a4743766e755872316a4c4176544b7a45
            645a70733266554b32424e4952422f4461316534715675424555356549304b31504358784759696664304b7749444151414200002904d00000000000
            00
            """)

    /// dnsmasq, `nope.example.test A`, id 0x0A0B: NXDOMAIN.
    static let dnsmasqNXDOMAIN = [UInt8](
        hex: """
            0a0b81830001000000000000046e6f7065076578616d706c6504746573740000010001
            """)

    /// dnsmasq, `www.example.test A`, id 0x5150, EDNS: a CNAME whose target the A record's owner
    /// points into (a compression pointer into RDATA).
    static let dnsmasqCNAME = [UInt8](
        hex: """
            51508580000100020000000103777777076578616d706c6504746573740000010001c00c00050001000000000012036d7831076578616d706c650474
            65737400c02e00010001000000000004c000020a00002904d0000000000000
            """)

    /// dnslib started with `--udplen 512`, `big.example.test TXT`, id 0x7777, no EDNS: a truncated
    /// answer that leaves out even the question.
    static let dnslibTruncated = [UInt8](hex: "777787800000000000000000")

    static var all: [[UInt8]] { [dnslibMX, dnsmasqDKIM, dnsmasqNXDOMAIN, dnsmasqCNAME, dnslibTruncated] }

    @Test func decodesDnslibMXWithAdditionalAddresses() throws {
        let message = try DNSMessageCodec.decode(Self.dnslibMX)
        #expect(message.header.id == 0x1234)
        #expect(message.header.isResponse && message.header.isAuthoritativeAnswer && message.responseCode == .noError)
        #expect(message.questions == [DNSQuestion(name: name("example.test"), type: .mx)])
        #expect(
            message.answers == [
                DNSResourceRecord(name: name("example.test"), ttl: 300, data: .mx(DNSMXRecord(preference: 20, exchange: name("mx2.example.test")))),
                DNSResourceRecord(name: name("example.test"), ttl: 300, data: .mx(DNSMXRecord(preference: 10, exchange: name("mx1.example.test")))),
            ])
        #expect(
            message.additionals.map(\.data) == [
                .a(IPv4Address(192, 0, 2, 20)), .a(IPv4Address(192, 0, 2, 10)), .aaaa(IPv6Address("2001:db8::10")!),
            ])
        #expect(message.edns == nil)
    }

    @Test func decodesDnsmasqDKIMKeyAsTwoStrings() throws {
        let message = try DNSMessageCodec.decode(Self.dnsmasqDKIM)
        #expect(message.header.id == 0xBEEF)
        #expect(message.edns?.udpPayloadSize == 1232)
        guard case .txt(let txt) = message.answers.first?.data else {
            Issue.record("expected a TXT answer")
            return
        }
        #expect(txt.characterStrings.map(\.count) == [255, 155])
        #expect(txt.text == Fixture.dkimKey)
    }

    @Test func decodesDnsmasqNXDOMAIN() throws {
        let message = try DNSMessageCodec.decode(Self.dnsmasqNXDOMAIN)
        #expect(message.responseCode == .nameError)
        #expect(message.answers.isEmpty)
        #expect(message.questions == [DNSQuestion(name: name("nope.example.test"), type: .a)])
    }

    @Test func decodesDnsmasqCNAMEWithPointerIntoRDATA() throws {
        let message = try DNSMessageCodec.decode(Self.dnsmasqCNAME)
        #expect(
            message.answers == [
                DNSResourceRecord(name: name("www.example.test"), ttl: 0, data: .cname(name("mx1.example.test"))),
                DNSResourceRecord(name: name("mx1.example.test"), ttl: 0, data: .a(IPv4Address(192, 0, 2, 10))),
            ])
    }

    @Test func decodesDnslibTruncatedAnswerWithoutQuestion() throws {
        let message = try DNSMessageCodec.decode(Self.dnslibTruncated)
        #expect(message.header.isTruncated)
        #expect(message.questions.isEmpty)
    }

    @Test(arguments: all)
    func reencodingDecodesToTheSameMessage(bytes: [UInt8]) throws {
        let message = try DNSMessageCodec.decode(bytes)
        #expect(try DNSMessageCodec.decode(DNSMessageCodec.encode(message)) == message)
    }
}
