/// Why DKIM signing failed or a DKIM tag list or key record could not be read.
public enum DKIMError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The message has no From header field, which every DKIM signature must cover (RFC 6376 §5.4).
    case fromHeaderMissing
    /// A tag=value list (RFC 6376 §3.2) is malformed: bad tag name, missing `=`, duplicate tag.
    case malformedTagList(String)
    /// A key record (RFC 6376 §3.6.1) is unusable.
    case invalidKeyRecord(String)
    /// The signer was configured with an unusable value (domain, selector).
    case invalidConfiguration(String)
    /// The cryptographic operation failed.
    case signingFailed(String)

    public var description: String {
        switch self {
        case .fromHeaderMissing: "the message has no From header field"
        case .malformedTagList(let reason): "malformed DKIM tag list: \(reason)"
        case .invalidKeyRecord(let reason): "invalid DKIM key record: \(reason)"
        case .invalidConfiguration(let reason): "invalid DKIM signer configuration: \(reason)"
        case .signingFailed(let reason): "DKIM signing failed: \(reason)"
        }
    }
}
