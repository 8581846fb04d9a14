import Crypto
import Foundation

/// Checks requests signed with a resource access key, exactly as the Azure SDKs sign them:
///
/// ```
/// x-ms-content-sha256: base64(SHA256(body))
/// Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64 HMAC>
/// string to sign: VERB \n PATH_AND_QUERY \n x-ms-date;HOST;x-ms-content-sha256
/// ```
///
/// `HOST` is what the client was configured with (`host:port/resource` for Switchboard endpoints), not
/// necessarily the `Host` header, so the caller passes every plausible spelling. The path is tried as sent and
/// percent-decoded, because some SDK clients sign the decoded form.
public struct HMACAuthenticator: Sendable {
    /// How far `x-ms-date` may be from the server's clock.
    public static let freshnessWindow: TimeInterval = 15 * 60

    public init() {}

    public struct SignedRequest: Sendable {
        public var method: String
        /// The request target as received: path and query, percent-encoding preserved.
        public var target: String
        /// Spellings of the host the client may have signed, most likely first.
        public var hosts: [String]
        public var authorization: String?
        public var date: String?
        public var contentHash: String?
        public var body: [UInt8]

        public init(
            method: String, target: String, hosts: [String], authorization: String?, date: String?,
            contentHash: String?, body: [UInt8]
        ) {
            self.method = method
            self.target = target
            self.hosts = hosts
            self.authorization = authorization
            self.date = date
            self.contentHash = contentHash
            self.body = body
        }
    }

    /// Succeeds when the request is signed with one of `keys`.
    public func authenticate(_ request: SignedRequest, keys: [SymmetricKey], now: Date)
        throws(AuthenticationFailure)
    {
        guard let authorization = request.authorization else { throw .missingCredentials }
        let parsed = try Self.parse(authorization)

        let bodyHash = Data(SHA256.hash(data: request.body)).base64EncodedString()
        guard let claimedHash = request.contentHash, Self.constantTimeEqual(claimedHash, bodyHash) else {
            throw .contentHashMismatch
        }
        guard let dateText = request.date, let date = HTTPDate.parse(dateText) else { throw .dateMissingOrInvalid }
        guard abs(date.timeIntervalSince(now)) <= Self.freshnessWindow else { throw .dateOutsideWindow }

        var targets = [request.target]
        if let decoded = request.target.removingPercentEncoding, decoded != request.target {
            targets.append(decoded)
        }
        for host in request.hosts {
            for target in targets {
                let values = try parsed.signedHeaders.map { name throws(AuthenticationFailure) -> String in
                    switch name {
                    case "x-ms-date", "date": dateText
                    case "host": host
                    case "x-ms-content-sha256": claimedHash
                    default: throw .malformedAuthorization
                    }
                }
                let stringToSign = "\(request.method.uppercased())\n\(target)\n\(values.joined(separator: ";"))"
                for key in keys {
                    let mac = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key)
                    if Self.constantTimeEqual(Data(mac), parsed.signature) { return }
                }
            }
        }
        throw .signatureMismatch
    }

    struct ParsedAuthorization {
        var signedHeaders: [String]
        var signature: Data
    }

    static func parse(_ header: String) throws(AuthenticationFailure) -> ParsedAuthorization {
        let scheme = "HMAC-SHA256 "
        guard header.count > scheme.count, header.prefix(scheme.count).uppercased() == scheme else {
            throw header.lowercased().hasPrefix("bearer ") ? .wrongCredentialKind : .malformedAuthorization
        }
        var signedHeaders: [String]?
        var signature: Data?
        for part in header.dropFirst(scheme.count).split(separator: "&") {
            guard let equals = part.firstIndex(of: "=") else { throw .malformedAuthorization }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(part[part.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            switch name {
            case "signedheaders": signedHeaders = value.lowercased().split(separator: ";").map(String.init)
            case "signature": signature = Data(base64Encoded: value)
            default: continue
            }
        }
        guard let signedHeaders, let signature, signedHeaders.contains("host"),
            signedHeaders.contains("x-ms-content-sha256"),
            signedHeaders.contains("x-ms-date") || signedHeaders.contains("date")
        else { throw .malformedAuthorization }
        return ParsedAuthorization(signedHeaders: signedHeaders, signature: signature)
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        constantTimeEqual(Data(lhs.utf8), Data(rhs.utf8))
    }

    static func constantTimeEqual(_ lhs: Data, _ rhs: Data) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }
}
