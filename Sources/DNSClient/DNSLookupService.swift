/// Something that answers DNS lookups. Code that needs DNS depends on this protocol, so that a
/// test can hand it a fake; `DNSResolver` is the real one. The typed lookups (`txt`, `mx`, `a`,
/// `aaaa`) are built on the single requirement.
public protocol DNSLookupService: Sendable {
    /// Records of `type` at `name`, following CNAMEs.
    func lookup(_ name: DNSName, type: DNSRecordType) async throws(DNSResolverError) -> DNSLookupResult<DNSResourceRecord>
}

extension DNSLookupService {
    /// TXT records (ownership tokens, SPF, DKIM keys at `<selector>._domainkey.<domain>`, DMARC at
    /// `_dmarc.<domain>`), each with its character-strings; `DNSTXTRecord.text` joins them.
    public func txt(_ name: DNSName) async throws(DNSResolverError) -> DNSLookupResult<DNSTXTRecord> {
        try await lookup(name, type: .txt).compactMap { if case .txt(let txt) = $0.data { txt } else { nil } }
    }

    /// MX records sorted by preference, lowest (most preferred) first; equal preferences keep the
    /// server's order, and RFC 5321 §5.1 leaves it to the sender to shuffle them.
    public func mx(_ name: DNSName) async throws(DNSResolverError) -> DNSLookupResult<DNSMXRecord> {
        let result = try await lookup(name, type: .mx).compactMap { if case .mx(let mx) = $0.data { mx } else { nil } }
        guard case .found(var answer) = result else { return result }
        // Swift's sort is stable, which keeps equal preferences in the server's order.
        answer.records.sort { $0.preference < $1.preference }
        return .found(answer)
    }

    /// IPv4 addresses (A records).
    public func a(_ name: DNSName) async throws(DNSResolverError) -> DNSLookupResult<IPv4Address> {
        try await lookup(name, type: .a).compactMap { if case .a(let address) = $0.data { address } else { nil } }
    }

    /// IPv6 addresses (AAAA records).
    public func aaaa(_ name: DNSName) async throws(DNSResolverError) -> DNSLookupResult<IPv6Address> {
        try await lookup(name, type: .aaaa).compactMap { if case .aaaa(let address) = $0.data { address } else { nil } }
    }

    /// `txt(_:)` for a name given as text.
    public func txt(_ name: String) async throws(DNSResolverError) -> DNSLookupResult<DNSTXTRecord> {
        try await txt(try Self.name(name))
    }

    /// `mx(_:)` for a name given as text.
    public func mx(_ name: String) async throws(DNSResolverError) -> DNSLookupResult<DNSMXRecord> {
        try await mx(try Self.name(name))
    }

    /// `a(_:)` for a name given as text.
    public func a(_ name: String) async throws(DNSResolverError) -> DNSLookupResult<IPv4Address> {
        try await a(try Self.name(name))
    }

    /// `aaaa(_:)` for a name given as text.
    public func aaaa(_ name: String) async throws(DNSResolverError) -> DNSLookupResult<IPv6Address> {
        try await aaaa(try Self.name(name))
    }

    private static func name(_ text: String) throws(DNSResolverError) -> DNSName {
        do {
            return try DNSName(text)
        } catch {
            throw .invalidName(error)
        }
    }
}
