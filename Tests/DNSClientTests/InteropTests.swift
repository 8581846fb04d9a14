import DNSClient
import Foundation
import Testing

/// A real DNS server implementation serving scripts/dns-interop's zone, reachable at the address in
/// its environment variable. `scripts/dns-interop/run.sh` starts both and sets the variables.
enum InteropPeer: String, CaseIterable, Sendable, CustomTestStringConvertible {
    /// dnslib's zoneresolver (Python), UDP answers truncated above 512 octets, TCP on the same port.
    case dnslib
    /// dnsmasq with the zone's records as local data.
    case dnsmasq

    var environmentKey: String { "DNS_INTEROP_\(rawValue.uppercased())" }

    var address: DNSServerAddress? {
        ProcessInfo.processInfo.environment[environmentKey].flatMap { try? DNSServerAddress(parsing: $0) }
    }

    static var available: [InteropPeer] { allCases.filter { $0.address != nil } }

    var testDescription: String { rawValue }

    func resolver(ednsUDPPayloadSize: UInt16? = DNSEDNS.defaultUDPPayloadSize) throws -> DNSResolver {
        DNSResolver(
            configuration: DNSResolverConfiguration(
                server: try #require(address), timeout: .seconds(2), attempts: 2, ednsUDPPayloadSize: ednsUDPPayloadSize))
    }
}

@Suite(.enabled(if: !InteropPeer.available.isEmpty, "needs DNS_INTEROP_DNSLIB or DNS_INTEROP_DNSMASQ: see scripts/dns-interop/run.sh"))
struct InteropTests {
    @Test(arguments: InteropPeer.available)
    func readsADKIMKeyInTwoStrings(peer: InteropPeer) async throws {
        let records = try await peer.resolver().txt("sel1._domainkey.example.test").records
        #expect(records.map(\.text) == [Fixture.dkimKey])
        #expect(records.first?.characterStrings.map(\.count) == [255, 155])
    }

    @Test(arguments: InteropPeer.available)
    func readsSPFAndVerificationTXT(peer: InteropPeer) async throws {
        let texts = try await peer.resolver().txt("example.test").records.map(\.text)
        #expect(Set(texts) == ["v=spf1 mx include:_spf.example.test ~all", "switchboard-verification=3f9c1a"])
        #expect(try await peer.resolver().txt("_dmarc.example.test").records.map(\.text) == ["v=DMARC1; p=reject; rua=mailto:dmarc@example.test"])
    }

    @Test(arguments: InteropPeer.available)
    func readsMXInPreferenceOrder(peer: InteropPeer) async throws {
        let records = try await peer.resolver().mx("example.test").records
        #expect(records.map(\.preference) == [10, 20])
        #expect(records.map(\.exchange) == [name("mx1.example.test"), name("mx2.example.test")])
    }

    @Test(arguments: InteropPeer.available)
    func readsAddresses(peer: InteropPeer) async throws {
        let resolver = try peer.resolver()
        #expect(try await resolver.a("mx1.example.test").records == [IPv4Address(192, 0, 2, 10)])
        #expect(try await resolver.aaaa("mx1.example.test").records == [IPv6Address("2001:db8::10")!])
    }

    /// dnsmasq follows the CNAME itself; dnslib answers the CNAME alone, so the client asks for
    /// the target in a second query.
    @Test(arguments: InteropPeer.available)
    func followsACNAME(peer: InteropPeer) async throws {
        guard case .found(let answer) = try await peer.resolver().a("www.example.test") else {
            Issue.record("expected an answer")
            return
        }
        #expect(answer.records == [IPv4Address(192, 0, 2, 10)])
        #expect(answer.canonicalName == name("mx1.example.test"))
    }

    /// dnslib's zoneresolver answers NXDOMAIN whenever nothing matches, so only dnsmasq can show
    /// NODATA.
    @Test(arguments: InteropPeer.available)
    func tellsNXDOMAINFromNODATA(peer: InteropPeer) async throws {
        let resolver = try peer.resolver()
        guard case .nameDoesNotExist = try await resolver.txt("nope.example.test") else {
            Issue.record("expected NXDOMAIN")
            return
        }
        let aaaa = try await resolver.aaaa("mx2.example.test")
        switch (peer, aaaa) {
        case (.dnsmasq, .noRecords), (.dnslib, .nameDoesNotExist): break
        default: Issue.record("unexpected \(aaaa)")
        }
    }

    /// 814 octets of TXT: truncated over UDP without EDNS, so the answer comes over TCP.
    @Test(arguments: InteropPeer.available)
    func fallsBackToTCPForALargeAnswer(peer: InteropPeer) async throws {
        for edns in [nil, DNSEDNS.defaultUDPPayloadSize] {
            let records = try await peer.resolver(ednsUDPPayloadSize: edns).txt("big.example.test").records
            #expect(records.first?.characterStrings.map(\.count) == [255, 255, 255])
        }
    }
}

/// The other direction: a real client, BIND's `dig`, reads what `DNSTestServer` (and so this
/// library's encoder) sends, over UDP and TCP.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/dig"), "needs dig (Debian's bind9-dnsutils)"))
struct DigInteropTests {
    func dig(_ arguments: [String]) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/dig")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test(arguments: ["+notcp", "+tcp"])
    func digReadsTheTestServersAnswers(transport: String) async throws {
        let server = try await DNSTestServer.start(zone: Fixture.zone)
        let common = ["@127.0.0.1", "-p", "\(server.address.port)", transport, "+short", "+tries=1", "+time=2"]
        let mx = try dig(common + ["example.test", "MX"])
        let dkim = try dig(common + ["sel1._domainkey.example.test", "TXT"])
        let aaaa = try dig(common + ["www.example.test", "AAAA"])
        await server.shutdown()
        #expect(Set(mx) == ["10 mx1.example.test.", "20 mx2.example.test."])
        let key = Array(Fixture.dkimKey.utf8)
        #expect(dkim == ["\"\(String(decoding: key[..<255], as: UTF8.self))\" \"\(String(decoding: key[255...], as: UTF8.self))\""])
        #expect(aaaa == ["mx1.example.test.", "2001:db8::10"])
    }
}
