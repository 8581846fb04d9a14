import DNSClient
import NIOCore

extension Array where Element == UInt8 {
    /// Octets from hex text; whitespace is ignored so vectors can be laid out by field.
    init(hex: String) {
        let digits = hex.filter(\.isHexDigit).map { UInt8(String($0), radix: 16)! }
        self = stride(from: 0, to: digits.count - 1, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}

func name(_ text: String) -> DNSName {
    try! DNSName(text)
}

/// The zone of the tests and of the interop peers (scripts/dns-interop), as records.
enum Fixture {
    /// A real 2048-bit RSA public key, as published for DKIM (410 octets: two character-strings).
    static let dkimKey =
        "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAytlgcQNA9/OS3IuatdUMb7vVjaS29XldAhA8HT/LnfQVdlN2zfQT7XZA3ivSXID8lP9W2YO2a13l2q9jEB/"
        + "LmwjvcG3AcFa+70cHK4DgsOxX0y95dZt1M6zo/PZsK3LYnzDojk7jLzuPH+vigsovdQcJTk3Blxs4lIdUInhUPp6cNAi5aaSef0Rj/8ntCx3AWhOihP5MpFLcPS0x4CCMN+DDFQ9M9IuUOufneCY3xM6MUaekPO63upYr1PIku0VVAm2lrfXajjbayTwUbXbpArq+4ZGCvnuXr1jLAvTKzEdZps2fUK2BNIRB/Da1e4qVuBEU5eI0K1PCXxGYifd0KwIDAQAB"

    static let soa = DNSSOARecord(
        primaryNameServer: name("ns1.example.test"), responsibleMailbox: name("hostmaster.example.test"), serial: 2_024_010_101,
        refresh: 3600, retry: 600, expire: 86400, minimum: 300)

    static let zone = DNSTestZone(
        records: [
            DNSResourceRecord(name: name("example.test"), ttl: 300, data: .mx(DNSMXRecord(preference: 20, exchange: name("mx2.example.test")))),
            DNSResourceRecord(name: name("example.test"), ttl: 300, data: .mx(DNSMXRecord(preference: 10, exchange: name("mx1.example.test")))),
            DNSResourceRecord(name: name("example.test"), ttl: 300, data: .txt(DNSTXTRecord(strings: ["v=spf1 mx include:_spf.example.test ~all"]))),
            DNSResourceRecord(name: name("example.test"), ttl: 300, data: .txt(DNSTXTRecord(strings: ["switchboard-verification=3f9c1a"]))),
            DNSResourceRecord(name: name("mx1.example.test"), ttl: 300, data: .a(IPv4Address(192, 0, 2, 10))),
            DNSResourceRecord(name: name("mx1.example.test"), ttl: 300, data: .aaaa(IPv6Address("2001:db8::10")!)),
            DNSResourceRecord(name: name("mx2.example.test"), ttl: 300, data: .a(IPv4Address(192, 0, 2, 20))),
            DNSResourceRecord(name: name("sel1._domainkey.example.test"), ttl: 300, data: .txt(DNSTXTRecord(splitting: dkimKey))),
            DNSResourceRecord(
                name: name("_dmarc.example.test"), ttl: 300,
                data: .txt(DNSTXTRecord(strings: ["v=DMARC1; p=reject; rua=mailto:dmarc@example.test"]))),
            DNSResourceRecord(name: name("www.example.test"), ttl: 60, data: .cname(name("mx1.example.test"))),
            DNSResourceRecord(
                name: name("big.example.test"), ttl: 300,
                data: .txt(
                    DNSTXTRecord(strings: [
                        String(repeating: "a", count: 255), String(repeating: "b", count: 255), String(repeating: "c", count: 255),
                    ]))),
        ],
        soa: DNSResourceRecord(name: name("example.test"), ttl: 3600, data: .soa(soa)))
}
