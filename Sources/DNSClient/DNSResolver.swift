import NIOCore
import NIOPosix

/// A stub resolver: sends each query to one configured recursive resolver over UDP, repeats it
/// over TCP when the answer is truncated, and interprets the answer (response code, CNAME chain,
/// negative answers). It never resolves iteratively and trusts only the configured server.
///
/// It holds no sockets between queries, so it is a cheap value that any number of tasks may use
/// at once.
public struct DNSResolver: DNSLookupService {
    public let configuration: DNSResolverConfiguration
    private let transport: DNSTransport

    public init(
        configuration: DNSResolverConfiguration = DNSResolverConfiguration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.transport = DNSTransport(
            server: configuration.server, timeout: configuration.timeout, attempts: configuration.attempts, group: eventLoopGroup)
    }

    public func lookup(_ name: DNSName, type: DNSRecordType) async throws(DNSResolverError) -> DNSLookupResult<DNSResourceRecord> {
        var queried = name
        var ttl = UInt32.max
        var visited: Set<DNSName> = [name]
        while true {
            let response = try await query(queried, type: type)
            switch response.responseCode {
            case .noError, .nameError: break
            case .serverFailure: throw .serverFailure(name: queried)
            case .refused: throw .refused(name: queried)
            default: throw .unexpectedResponseCode(response.responseCode, name: queried)
            }
            // Walk the CNAME chain through the answer section (RFC 1034 §4.3.2 step 3a).
            var owner = queried
            while true {
                let records = response.answers.filter { $0.name == owner && $0.type == type && $0.recordClass == .in }
                if !records.isEmpty {
                    let answerTTL = records.map(\.ttl).reduce(ttl, min)
                    return .found(DNSAnswer(name: name, canonicalName: owner, records: records, ttl: answerTTL))
                }
                guard type != .cname,
                    let alias = response.answers.first(where: { $0.name == owner && $0.type == .cname && $0.recordClass == .in }),
                    case .cname(let target) = alias.data
                else { break }
                guard visited.insert(target).inserted else { throw .cnameLoop(name: target) }
                guard visited.count - 1 <= configuration.maximumCNAMEChainLength else { throw .cnameChainTooLong(name: name) }
                ttl = min(ttl, alias.ttl)
                owner = target
            }
            let soaRecord = response.authorities.first { $0.type == .soa && owner.isWithin($0.name) }
            var negative = DNSNegativeAnswer(name: name, canonicalName: owner, soa: nil, ttl: nil)
            if let soaRecord, case .soa(let soa) = soaRecord.data {
                negative.soa = soa
                negative.ttl = min(soaRecord.ttl, soa.minimum)
            }
            if response.responseCode == .nameError { return .nameDoesNotExist(negative) }
            // A chain that stops at a CNAME without an SOA means the server did not follow it: ask
            // for the target ourselves. With an SOA it is a NODATA answer for the target.
            if owner != queried, negative.soa == nil {
                queried = owner
                continue
            }
            return .noRecords(negative)
        }
    }

    /// One exchange with the resolver, without interpreting the answer: UDP first, TCP when the
    /// UDP answer has TC set, and a retry without EDNS when the server rejects the OPT record with
    /// FORMERR (RFC 6891 §7).
    public func query(_ name: DNSName, type: DNSRecordType) async throws(DNSResolverError) -> DNSMessage {
        let edns = configuration.ednsUDPPayloadSize.map { DNSEDNS(udpPayloadSize: $0) }
        let response = try await exchange(name, type: type, edns: edns)
        if edns != nil, response.responseCode == .formatError, response.edns == nil {
            return try await exchange(name, type: type, edns: nil)
        }
        return response
    }

    private func exchange(_ name: DNSName, type: DNSRecordType, edns: DNSEDNS?) async throws(DNSResolverError) -> DNSMessage {
        let query = DNSMessage.query(id: UInt16.random(in: 0...UInt16.max), name: name, type: type, edns: edns)
        let encoded: ByteBuffer
        do {
            encoded = try DNSMessageCodec.encode(query)
        } catch {
            throw .invalidQuery(error)
        }
        let response = try await transport.udp(query, encoded: encoded)
        guard response.header.isTruncated else { return response }
        return try await transport.tcp(query, encoded: encoded)
    }
}
