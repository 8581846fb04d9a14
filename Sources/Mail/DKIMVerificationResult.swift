/// The outcome of verifying one DKIM-Signature field.
public struct DKIMVerificationResult: Sendable, Hashable {
    /// The verification status, with RFC 8601's result names.
    public enum Status: Sendable, Hashable {
        /// The signature verified.
        case pass
        /// The signature did not verify: body hash or signature mismatch, or expired (`x=` in the past).
        case fail(String)
        /// The signature cannot be evaluated: syntax error, missing required tag, unsupported
        /// algorithm, From not signed, no key or a revoked or unusable key.
        case permerror(String)
        /// The key could not be fetched right now (DNS failure); trying later may succeed.
        case temperror(String)
        /// The signature did not verify but the key is in testing mode (`t=y`), so the failure
        /// is not to be held against the message.
        case neutral
    }

    /// `d=` (lowercased), or empty when the field was too malformed to tell.
    public var domain: String
    /// `s=`, or empty when the field was too malformed to tell.
    public var selector: String
    /// The status.
    public var status: Status
    /// The header field names listed in `h=`, lowercased.
    public var signedHeaders: [String] = []
    /// `l=`: when set, only this many octets of the canonicalized body are signed.
    public var bodyLength: Int?

    /// Whether ``status`` is ``Status/pass``.
    public var passed: Bool { status == .pass }
}
