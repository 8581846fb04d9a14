/// An in-memory zone and the answering rules of an authoritative server over it (RFC 1034
/// §4.3.2, simplified to one zone without delegations): exact matches, CNAMEs followed inside the
/// zone, NXDOMAIN for names that do not exist, NODATA for names that exist without the type, and
/// the SOA in the authority section of negative answers (RFC 2308 §3).
public struct DNSTestZone: Sendable, Hashable {
    public var records: [DNSResourceRecord]
    /// Put in the authority section of negative answers when set.
    public var soa: DNSResourceRecord?

    public init(records: [DNSResourceRecord] = [], soa: DNSResourceRecord? = nil) {
        self.records = records
        self.soa = soa
    }

    /// The response an authoritative (and, for the client's sake, recursion-offering) server gives.
    public func answer(_ query: DNSMessage) -> DNSMessage {
        let header = DNSHeader(
            id: query.header.id, isResponse: true, opcode: query.header.opcode, isAuthoritativeAnswer: true,
            recursionDesired: query.header.recursionDesired, recursionAvailable: true)
        var response = DNSMessage(header: header, questions: query.questions)
        if query.edns != nil { response.edns = DNSEDNS() }
        guard query.header.opcode == .query else {
            response.header.responseCode = .notImplemented
            return response
        }
        guard query.questions.count == 1, let question = query.questions.first, !query.header.isResponse else {
            response.header.responseCode = .formatError
            return response
        }
        var owner = question.name
        var visited: Set<DNSName> = [owner]
        while true {
            let matches = records.filter { $0.name == owner && ($0.type == question.type || question.type == .any) }
            if !matches.isEmpty {
                response.answers += matches
                return response
            }
            guard question.type != .cname,
                let alias = records.first(where: { $0.name == owner && $0.type == .cname }),
                case .cname(let target) = alias.data
            else { break }
            response.answers.append(alias)
            guard visited.insert(target).inserted else { return response }
            owner = target
        }
        // A name exists when it owns records or has descendants that do (an empty non-terminal).
        if !records.contains(where: { $0.name.isWithin(owner) }) {
            response.header.responseCode = .nameError
        }
        if let soa { response.authorities.append(soa) }
        return response
    }
}
