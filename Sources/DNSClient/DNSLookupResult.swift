/// The outcome of a lookup that the resolver answered.
///
/// Verification code must tell "the customer has not published the record" (`noRecords`,
/// `nameDoesNotExist`) apart from "we could not find out" (a thrown `DNSResolverError`): only the
/// first may fail a domain check, the second should be retried later.
public enum DNSLookupResult<Record: Sendable & Hashable>: Sendable, Hashable {
    /// The name (or the end of its CNAME chain) has records of the type asked for.
    case found(DNSAnswer<Record>)
    /// NXDOMAIN: the name (or the end of its CNAME chain) does not exist at all.
    case nameDoesNotExist(DNSNegativeAnswer)
    /// NOERROR with no records of that type ("NODATA", RFC 2308 §2.2): the name exists, perhaps
    /// with records of other types.
    case noRecords(DNSNegativeAnswer)

    /// The records found, or none for a negative answer.
    public var records: [Record] {
        if case .found(let answer) = self { return answer.records }
        return []
    }

    /// Maps each record, for typed views over a generic lookup. A found answer left with no
    /// records becomes `noRecords`.
    public func compactMap<T: Sendable & Hashable>(_ transform: (Record) -> T?) -> DNSLookupResult<T> {
        switch self {
        case .found(let answer):
            let records = answer.records.compactMap(transform)
            guard !records.isEmpty else {
                return .noRecords(DNSNegativeAnswer(name: answer.name, canonicalName: answer.canonicalName, soa: nil, ttl: nil))
            }
            return .found(DNSAnswer(name: answer.name, canonicalName: answer.canonicalName, records: records, ttl: answer.ttl))
        case .nameDoesNotExist(let negative): return .nameDoesNotExist(negative)
        case .noRecords(let negative): return .noRecords(negative)
        }
    }
}

/// Records found for a name.
public struct DNSAnswer<Record: Sendable & Hashable>: Sendable, Hashable {
    /// The name asked for.
    public var name: DNSName
    /// The name that owns the records: `name` itself, or the end of its CNAME chain.
    public var canonicalName: DNSName
    public var records: [Record]
    /// How long the answer may be cached: the smallest TTL of the records and CNAMEs used.
    public var ttl: UInt32

    public init(name: DNSName, canonicalName: DNSName, records: [Record], ttl: UInt32) {
        self.name = name
        self.canonicalName = canonicalName
        self.records = records
        self.ttl = ttl
    }
}

/// Details of an NXDOMAIN or NODATA answer.
public struct DNSNegativeAnswer: Sendable, Hashable {
    /// The name asked for.
    public var name: DNSName
    /// The name the answer is about: `name`, or the end of its CNAME chain.
    public var canonicalName: DNSName
    /// The zone's SOA from the authority section, when the server sent it.
    public var soa: DNSSOARecord?
    /// How long the negative answer may be cached (RFC 2308 §5: the smaller of the SOA record's
    /// TTL and its MINIMUM field), when an SOA came with it.
    public var ttl: UInt32?

    public init(name: DNSName, canonicalName: DNSName, soa: DNSSOARecord?, ttl: UInt32?) {
        self.name = name
        self.canonicalName = canonicalName
        self.soa = soa
        self.ttl = ttl
    }
}
