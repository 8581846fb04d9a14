/// Why a lookup produced no answer. A name that does not exist, or has no records of the type, is
/// not an error: see `DNSLookupResult`.
public enum DNSResolverError: Error, Hashable, Sendable {
    /// The name given as text is not a valid domain name.
    case invalidName(DNSNameError)
    /// SERVFAIL: the resolver could not get an answer (authoritative servers unreachable, DNSSEC
    /// validation failed, …).
    case serverFailure(name: DNSName)
    /// REFUSED: the resolver will not answer us (ACL, not a recursive resolver, …).
    case refused(name: DNSName)
    /// Any other response code (FORMERR, NOTIMP, …).
    case unexpectedResponseCode(DNSResponseCode, name: DNSName)
    /// No answer within the configured timeout after every attempt.
    case timeout(name: DNSName, attempts: Int)
    /// The resolver's answer could not be decoded. Over UDP such datagrams are ignored while
    /// waiting; this is reported only when nothing better arrived.
    case malformedResponse(DNSDecodingError)
    /// The answer matched the query's id but not its question, or is not a response.
    case mismatchedResponse
    /// The CNAME chain is longer than `maximumCNAMEChainLength`.
    case cnameChainTooLong(name: DNSName)
    /// The CNAME chain comes back to a name it already passed.
    case cnameLoop(name: DNSName)
    /// The query could not be encoded (cannot happen for names the library accepted).
    case invalidQuery(DNSEncodingError)
    /// A socket could not be opened, connected or written to; `description` is the system's.
    case transportFailure(String)
    /// The task was cancelled.
    case cancelled

    /// Whether asking again later may give an answer: the resolver or the network failed, not
    /// the question.
    public var isTemporary: Bool {
        switch self {
        case .serverFailure, .timeout, .transportFailure, .malformedResponse, .mismatchedResponse: true
        case .refused, .unexpectedResponseCode, .invalidName, .cnameChainTooLong, .cnameLoop, .invalidQuery, .cancelled: false
        }
    }
}
