import DNSClient
import Testing

/// The resolver against `DNSTestServer` on loopback. Each test starts its own server, so they
/// run in parallel without sharing knobs.
@Suite struct ResolverTests {
    /// Runs `body` with a fresh server serving `Fixture.zone` and a resolver pointed at it. The timeout is long, so
    /// tests that count queries see no retransmission on a machine busy with other suites; a passing test never
    /// waits for it, and the tests of timeouts give their own.
    func withServer(
        timeout: Duration = .seconds(30), attempts: Int = 2, edns: UInt16? = DNSEDNS.defaultUDPPayloadSize,
        _ body: (DNSTestServer, DNSResolver) async throws -> Void
    ) async throws {
        let server = try await DNSTestServer.start(zone: Fixture.zone)
        let resolver = DNSResolver(configuration: server.resolverConfiguration(timeout: timeout, attempts: attempts, ednsUDPPayloadSize: edns))
        do {
            try await body(server, resolver)
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
    }

    @Test func findsADKIMKeySplitIntoSeveralStrings() async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            let result = try await resolver.txt(name("example.test").prepending("sel1._domainkey"))
            let record = try #require(result.records.first)
            #expect(result.records.count == 1)
            #expect(record.characterStrings.map(\.count) == [255, 155])
            #expect(record.text == Fixture.dkimKey)
            // With EDNS the 480-octet answer fits in one datagram.
            #expect(server.receivedQueries.map(\.transport) == [.udp])
            #expect(server.receivedQueries.first?.edns?.udpPayloadSize == 1232)
        }
    }

    @Test func findsEveryTXTRecordOfAName() async throws {
        try await withServer { (_: DNSTestServer, resolver: DNSResolver) async throws in
            let texts = try await resolver.txt("example.test").records.map(\.text)
            #expect(Set(texts) == ["v=spf1 mx include:_spf.example.test ~all", "switchboard-verification=3f9c1a"])
            #expect(try await resolver.txt("_dmarc.example.test").records.map(\.text) == ["v=DMARC1; p=reject; rua=mailto:dmarc@example.test"])
        }
    }

    @Test func sortsMXByPreference() async throws {
        try await withServer { (_: DNSTestServer, resolver: DNSResolver) async throws in
            let result = try await resolver.mx("example.test")
            #expect(
                result.records == [
                    DNSMXRecord(preference: 10, exchange: name("mx1.example.test")),
                    DNSMXRecord(preference: 20, exchange: name("mx2.example.test")),
                ])
            guard case .found(let answer) = result else { return }
            #expect(answer.ttl == 300)
            #expect(answer.canonicalName == name("example.test"))
        }
    }

    @Test func findsIPv4AndIPv6Addresses() async throws {
        try await withServer { (_: DNSTestServer, resolver: DNSResolver) async throws in
            #expect(try await resolver.a("mx1.example.test").records == [IPv4Address(192, 0, 2, 10)])
            #expect(try await resolver.aaaa("MX1.Example.Test").records == [IPv6Address("2001:db8::10")!])
        }
    }

    @Test func tellsANameThatDoesNotExistFromOneWithoutRecordsOfTheType() async throws {
        try await withServer { (_: DNSTestServer, resolver: DNSResolver) async throws in
            guard case .nameDoesNotExist(let missing) = try await resolver.txt("_dmarc.nowhere.example.test") else {
                Issue.record("expected NXDOMAIN")
                return
            }
            #expect(missing.soa == Fixture.soa)
            #expect(missing.ttl == 300)  // min(SOA TTL 3600, MINIMUM 300)
            guard case .noRecords(let empty) = try await resolver.aaaa("mx2.example.test") else {
                Issue.record("expected NODATA")
                return
            }
            #expect(empty.canonicalName == name("mx2.example.test"))
            // `_domainkey.example.test` owns nothing but has a descendant: it exists (RFC 8020).
            guard case .noRecords = try await resolver.txt("_domainkey.example.test") else {
                Issue.record("expected NODATA for an empty non-terminal")
                return
            }
        }
    }

    @Test func followsCNAMEChains() async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.add(
                DNSResourceRecord(name: name("alias.example.test"), ttl: 30, data: .cname(name("www.example.test"))),
                DNSResourceRecord(name: name("dangling.example.test"), ttl: 30, data: .cname(name("gone.example.test"))))
            guard case .found(let answer) = try await resolver.a("alias.example.test") else {
                Issue.record("expected an answer")
                return
            }
            #expect(answer.records == [IPv4Address(192, 0, 2, 10)])
            #expect(answer.canonicalName == name("mx1.example.test"))
            #expect(answer.name == name("alias.example.test"))
            #expect(answer.ttl == 30)
            guard case .nameDoesNotExist(let negative) = try await resolver.a("dangling.example.test") else {
                Issue.record("expected NXDOMAIN for the CNAME's target")
                return
            }
            #expect(negative.canonicalName == name("gone.example.test"))
        }
    }

    @Test func refusesCNAMELoopsAndOverlongChains() async throws {
        try await withServer { (server: DNSTestServer, _: DNSResolver) async throws in
            server.add(
                DNSResourceRecord(name: name("loop1.example.test"), ttl: 30, data: .cname(name("loop2.example.test"))),
                DNSResourceRecord(name: name("loop2.example.test"), ttl: 30, data: .cname(name("loop1.example.test"))))
            for index in 0..<3 {
                server.add(DNSResourceRecord(name: name("c\(index).example.test"), ttl: 30, data: .cname(name("c\(index + 1).example.test"))))
            }
            server.add(DNSResourceRecord(name: name("c3.example.test"), ttl: 30, data: .a(IPv4Address(192, 0, 2, 3))))
            let resolver = DNSResolver(
                configuration: {
                    var configuration = server.resolverConfiguration()
                    configuration.maximumCNAMEChainLength = 2
                    return configuration
                }())
            await #expect(throws: DNSResolverError.cnameLoop(name: name("loop1.example.test"))) { try await resolver.a("loop1.example.test") }
            await #expect(throws: DNSResolverError.cnameChainTooLong(name: name("c0.example.test"))) { try await resolver.a("c0.example.test") }
            #expect(try await resolver.a("c1.example.test").records == [IPv4Address(192, 0, 2, 3)])
        }
    }

    @Test func repeatsATruncatedAnswerOverTCP() async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.truncateUDPAbove = 300
            let result = try await resolver.txt("sel1._domainkey.example.test")
            #expect(result.records.first?.text == Fixture.dkimKey)
            let queries = server.receivedQueries
            #expect(queries.map(\.transport) == [.udp, .tcp])
            #expect(queries[0].id == queries[1].id)
        }
    }

    @Test func fallsBackToTCPWithoutEDNSWhenTheAnswerExceeds512Octets() async throws {
        try await withServer(edns: nil) { (server: DNSTestServer, resolver: DNSResolver) async throws in
            let result = try await resolver.txt("big.example.test")
            #expect(result.records.first?.characterStrings.map(\.count) == [255, 255, 255])
            #expect(server.receivedQueries.map(\.transport) == [.udp, .tcp])
            #expect(server.receivedQueries.allSatisfy { $0.edns == nil })
        }
    }

    @Test func asksAgainWithoutEDNSWhenTheServerRejectsIt() async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.behaviour = .rejectEDNS
            #expect(try await resolver.a("mx1.example.test").records == [IPv4Address(192, 0, 2, 10)])
            #expect(server.receivedQueries.map { $0.edns != nil } == [true, false])
        }
    }

    @Test(arguments: [
        (DNSResponseCode.serverFailure, DNSResolverError.serverFailure(name: name("example.test"))),
        (.refused, .refused(name: name("example.test"))),
        (.notImplemented, .unexpectedResponseCode(.notImplemented, name: name("example.test"))),
    ])
    func reportsServerErrors(code: DNSResponseCode, error: DNSResolverError) async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.behaviour = .respond(code)
            await #expect(throws: error) { try await resolver.mx("example.test") }
        }
    }

    @Test func timesOutAgainstASilentServerAfterEveryAttempt() async throws {
        try await withServer(timeout: .milliseconds(100), attempts: 3) { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.behaviour = .silent
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: DNSResolverError.timeout(name: name("example.test"), attempts: 3)) { try await resolver.txt("example.test") }
            let elapsed = clock.now - start
            // No upper bound worth asserting: the suite runs in parallel on two cores.
            #expect(elapsed >= .milliseconds(300))
            let queries = server.receivedQueries
            #expect(queries.count == 3 && queries.allSatisfy { $0.transport == .udp && $0.id == queries[0].id })
        }
    }

    @Test func timesOutOverTCPToo() async throws {
        try await withServer(timeout: .milliseconds(200), attempts: 1) { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.truncateUDPAbove = 100
            server.decoy = nil
            // Answer UDP (truncated), then fall silent for the TCP retry.
            let task = Task { try await resolver.txt("sel1._domainkey.example.test") }
            while server.receivedQueries.isEmpty { try await Task.sleep(for: .milliseconds(1)) }
            server.behaviour = .silent
            await #expect(throws: DNSResolverError.self) { try await task.value }
        }
    }

    @Test func retriesAfterALostDatagram() async throws {
        try await withServer(timeout: .seconds(1), attempts: 2) { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.dropNextUDPQueries(1)
            #expect(try await resolver.a("mx2.example.test").records == [IPv4Address(192, 0, 2, 20)])
            #expect(server.receivedQueries.count == 2)
        }
    }

    @Test(arguments: [DNSTestServer.Decoy.wrongID, .wrongSource, .wrongQuestion])
    func ignoresForgedAnswers(decoy: DNSTestServer.Decoy) async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            server.decoy = decoy
            // The decoy (an NXDOMAIN) arrives first; only the real answer may be taken.
            #expect(try await resolver.a("mx1.example.test").records == [IPv4Address(192, 0, 2, 10)])
            #expect(server.receivedQueries.count == 1)
        }
    }

    @Test func servesManyConcurrentLookups() async throws {
        try await withServer { (_: DNSTestServer, resolver: DNSResolver) async throws in
            try await withThrowingTaskGroup(of: [IPv4Address].self) { group in
                for _ in 0..<32 {
                    group.addTask { try await resolver.a("mx2.example.test").records }
                }
                for try await records in group {
                    #expect(records == [IPv4Address(192, 0, 2, 20)])
                }
            }
        }
    }

    @Test func seesRecordsAddedWhileRunning() async throws {
        try await withServer { (server: DNSTestServer, resolver: DNSResolver) async throws in
            let token = name("_switchboard.customer.example.test")
            guard case .nameDoesNotExist = try await resolver.txt(token) else {
                Issue.record("expected NXDOMAIN before publication")
                return
            }
            server.add(DNSResourceRecord(name: token, ttl: 60, data: .txt(DNSTXTRecord(strings: ["token-123"]))))
            #expect(try await resolver.txt(token).records.map(\.text) == ["token-123"])
            server.removeRecords(named: token)
            guard case .nameDoesNotExist = try await resolver.txt(token) else {
                Issue.record("expected NXDOMAIN after removal")
                return
            }
        }
    }

    @Test func refusesAnInvalidNameGivenAsText() async throws {
        let resolver = DNSResolver(configuration: DNSResolverConfiguration(server: .loopback))
        await #expect(throws: DNSResolverError.invalidName(.emptyLabel)) { try await resolver.txt("a..example") }
    }
}
